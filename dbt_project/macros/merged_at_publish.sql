{#-
    A large incremental fact in a build of new batches is staged as a delta: an empty table
    in the side schema that the model fills with the new batches' months only, merged into
    the published fact at the swap (transform/side_schema.py). Its readers in the build
    read it as such:
    - the model itself finds the batches it has not seen in the published fact
      (unseen_batches), not in the empty delta;
    - a test of the whole fact reads `as_published(model)`: the published rows the merge
      keeps, and the delta's.
    Outside a build into the side schema (a full build, `dbt test` by hand) a relation is
    never a delta.
-#}
{% macro is_delta(relation) -%}
    {%- set side = var('cityops_marts_schema', none) -%}
    {%- if not execute or not side or relation.schema != side -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set found = run_query(
        "select count(*) from " ~ side ~ ".deltas where relation = " ~ "'" ~ relation.identifier ~ "'"
    ).rows[0][0] -%}
    {{- return(found > 0) -}}
{%- endmacro %}

{#- The published fact of a delta: same name, in the marts' own schema. -#}
{% macro published_of(relation) -%}
    {{- return(relation.incorporate(path={'schema': 'marts'})) -}}
{%- endmacro %}

{#- The fact as the swap will publish it (see side_schema.merge_delta); a relation that is not a delta, as it is. -#}
{% macro as_published(relation) -%}
    {%- if not is_delta(relation) -%}
        {{- return(relation) -}}
    {%- endif -%}
    {%- set side = var('cityops_marts_schema') -%}
    {%- set kept -%}
        (
            select * from {{ published_of(relation) }} as published
            where not (
                published.month_start in (select delta.month_start from {{ relation }} as delta)
                or published.batch_id is null
                or published.batch_id = any(array(select retired.batch_id from {{ side }}.retired_batches as retired))
            )
            union all
            select * from {{ relation }}
        ) as published_with_delta
    {%- endset -%}
    {{- return(kept) -}}
{%- endmacro %}

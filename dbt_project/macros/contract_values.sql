{#-
    A value the contract names, as a SQL literal: `{{ contract_value('hotline_cases', 'status', '已办结') }}`.
    The list comes from contract_vocabulary() (generated from expectations/*.yml), so a model
    that names a value its contract does not have fails to compile, saying which and where,
    instead of quietly counting nothing.
-#}
{% macro contract_value(dataset, column, value) -%}
    {%- set known = contract_vocabulary().get(dataset, {}).get(column) -%}
    {%- if known is none -%}
        {{ exceptions.raise_compiler_error("expectations/" ~ dataset ~ ".yml names no values for column '" ~ column ~ "'") }}
    {%- elif value not in known -%}
        {{ exceptions.raise_compiler_error(
            "'" ~ value ~ "' is not a value of " ~ dataset ~ "." ~ column ~ " in expectations/" ~ dataset
            ~ ".yml (it has " ~ known | join(", ") ~ ")"
        ) }}
    {%- endif -%}
    '{{ value }}'
{%- endmacro %}

{#- Several of them, comma-separated, for `in (...)`. -#}
{% macro contract_values(dataset, column, values) -%}
    {%- for value in values -%}
        {{ contract_value(dataset, column, value) }}{{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#-
    For the ticket-grain incremental facts: on an incremental run, only the rows of
    batches the fact has not loaded yet (a new month, or a correction of an old one).
    The fact then replaces each month those batches cover (delete+insert on month_start).
-#}
{% macro unseen_batches(batch_column='batch_id') -%}
    {% if is_incremental() -%}
        where {{ batch_column }} not in (select distinct loaded.batch_id from {{ this }} as loaded)
    {%- endif %}
{%- endmacro %}

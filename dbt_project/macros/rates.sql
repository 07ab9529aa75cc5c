{#- A share in percent, 2 decimals; null (not 0) when nothing was counted. -#}
{% macro pct(numerator, denominator) -%}
    round(100.0 * ({{ numerator }}) / nullif({{ denominator }}, 0), 2)
{%- endmacro %}

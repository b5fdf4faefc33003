{#- Dialect differences between the DuckDB target (default) and the Spark target,
    as adapter.dispatch macros: the models are written once and call these. -#}

{#- sha256 as lowercase hex of a string expression. -#}
{% macro sha256_hex(expression) -%}
    {{ return(adapter.dispatch('sha256_hex', 'smesurvey')(expression)) }}
{%- endmacro %}

{% macro default__sha256_hex(expression) -%}
    sha256({{ expression }})
{%- endmacro %}

{% macro spark__sha256_hex(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}

{#- A codebook sql_type (generated macro codebook_columns) as this engine spells it:
    Spark's VARCHAR needs a length, its unbounded text type is STRING. -#}
{% macro column_type(sql_type) -%}
    {{ return(dbt.type_string() if sql_type == 'varchar' else sql_type) }}
{%- endmacro %}

{#- Round a double to `digits` decimals, half away from zero, of x * 10^digits as
    an IEEE double. Written out (not round(x, d)) because the engines disagree on
    decimal ties that are not binary-exact: DuckDB rounds the exact binary value
    (round(2.675, 2) = 2.67), Spark its shortest decimal form (2.68). Rounding to an
    integer agrees on both, and x * 1e2 is the same double on both. -#}
{% macro round_double(expression, digits) -%}
    round(cast({{ expression }} as double) * 1e{{ digits }}) / 1e{{ digits }}
{%- endmacro %}

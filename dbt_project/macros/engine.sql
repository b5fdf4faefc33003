{#- Dialect differences between the DuckDB target (default) and the Spark target,
    as adapter.dispatch macros: the models are written once and call these. -#}

{#- HMAC-SHA256 of a string expression (its UTF-8 bytes), lowercase hex:
    H((K xor opad) || H((K xor ipad) || m)), the padded keys given as hex
    (macro hmac_padded_key). The same digest on every engine. -#}
{% macro hmac_sha256_hex(ipad_key_hex, opad_key_hex, message) -%}
    {{ return(adapter.dispatch('hmac_sha256_hex', 'smesurvey')(ipad_key_hex, opad_key_hex, message)) }}
{%- endmacro %}

{% macro default__hmac_sha256_hex(ipad_key_hex, opad_key_hex, message) -%}
    sha256(unhex('{{ opad_key_hex }}') || unhex(sha256(unhex('{{ ipad_key_hex }}') || encode({{ message }}))))
{%- endmacro %}

{% macro spark__hmac_sha256_hex(ipad_key_hex, opad_key_hex, message) -%}
    sha2(concat(unhex('{{ opad_key_hex }}'), unhex(sha2(concat(unhex('{{ ipad_key_hex }}'), encode({{ message }}, 'utf-8')), 256))), 256)
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

{#- The distinct values of a string expression over a group, sorted and joined by
    ', ' (an aggregate): readable lists such as the register cells a weighting
    cell collapsed. -#}
{% macro sorted_list_agg(expression) -%}
    {{ return(adapter.dispatch('sorted_list_agg', 'smesurvey')(expression)) }}
{%- endmacro %}

{% macro default__sorted_list_agg(expression) -%}
    string_agg(distinct {{ expression }}, ', ' order by {{ expression }})
{%- endmacro %}

{% macro spark__sorted_list_agg(expression) -%}
    array_join(array_sort(collect_set({{ expression }})), ', ')
{%- endmacro %}

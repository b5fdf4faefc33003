{#- The key of the pseudonymous enterprise_key (a keyed hash of the USCC).
    It comes from the environment only; there is deliberately no default here:
    tests set a documented dev key, deployments set a secret one. Changing the
    key changes every enterprise_key (panel links survive within one key). -#}
{% macro pseudonym_key() -%}
    {%- set key = env_var('SMESURVEY_PSEUDONYM_KEY', '') -%}
    {#- only commands that write tables need it; lint, parse and docs do not -#}
    {%- if key | length < 8 and flags.WHICH not in ['run', 'build'] -%}
        {{ return('placeholder-key-for-compile-only') }}
    {%- endif -%}
    {%- if execute and key | length < 8 -%}
        {{ exceptions.raise_compiler_error(
            "SMESURVEY_PSEUDONYM_KEY is not set (or shorter than 8 characters): "
            ~ "set it to the secret key of the enterprise pseudonyms") }}
    {%- endif -%}
    {{ return(key) }}
{%- endmacro %}

{#- Keyed hash: sha256(key || normalized USCC), hex (same digest on every engine). -#}
{% macro enterprise_key(uscc_column) -%}
    {{ sha256_hex("'" ~ (pseudonym_key() | replace("'", "''")) ~ "' || upper(trim(" ~ uscc_column ~ "))") }}
{%- endmacro %}

{#- The pseudonymous enterprise_key: HMAC-SHA256(key, upper(trim(USCC))), hex.
    The key (64 hex characters = 256 bits) comes from the environment only and has
    no default: orchestration sets SMESURVEY_PSEUDONYM_KEY from the home's key file
    (orchestration/pseudonym.py). USCCs are public, so a known key would re-identify
    every enterprise. Changing the key changes every enterprise_key. -#}
{% macro pseudonym_key() -%}
    {%- set key = env_var('SMESURVEY_PSEUDONYM_KEY', '') | trim | lower -%}
    {#- only commands that write tables need it; lint, parse and docs do not -#}
    {%- if not is_hex_key(key) and flags.WHICH not in ['run', 'build'] -%}
        {{ return('0' * 64) }}
    {%- endif -%}
    {%- if execute and not is_hex_key(key) -%}
        {{ exceptions.raise_compiler_error(
            "SMESURVEY_PSEUDONYM_KEY is not a pseudonym key (expected 64 hex characters, "
            ~ "got " ~ (key | length) ~ "): smesurvey sets it from "
            ~ "SMESURVEY_HOME/secrets/pseudonym.key") }}
    {%- endif -%}
    {{ return(key) }}
{%- endmacro %}

{% macro is_hex_key(key) -%}
    {%- set state = namespace(ok=(key | length == 64)) -%}
    {%- for char in key if char not in '0123456789abcdef' -%}
        {%- set state.ok = false -%}
    {%- endfor -%}
    {{ return(state.ok) }}
{%- endmacro %}

{#- The HMAC key block xor a pad byte ('36' = ipad, '5c' = opad), as 128 hex characters:
    the 32 key bytes zero-padded to SHA-256's 64-byte block, each byte xor the pad.
    Computed here because Jinja has no bitwise operators and dbt offers no hashlib:
    nibble by nibble, xor as the sum of the bits where the two nibbles differ. -#}
{% macro hmac_padded_key(key, pad) -%}
    {%- set digits = '0123456789abcdef' -%}
    {%- set state = namespace(out='') -%}
    {%- for char in key -%}
        {%- set a = digits.index(char) -%}
        {%- set b = digits.index(pad[loop.index0 % 2]) -%}
        {%- set bits = namespace(v=0) -%}
        {%- for bit in [8, 4, 2, 1] if (a // bit) % 2 != (b // bit) % 2 -%}
            {%- set bits.v = bits.v + bit -%}
        {%- endfor -%}
        {%- set state.out = state.out ~ digits[bits.v] -%}
    {%- endfor -%}
    {#- the zero padding xor the pad is the pad itself -#}
    {{ return(state.out ~ pad * 32) }}
{%- endmacro %}

{% macro enterprise_key(uscc_column) -%}
    {%- set key = pseudonym_key() -%}
    {{ hmac_sha256_hex(
        hmac_padded_key(key, '36'),
        hmac_padded_key(key, '5c'),
        "upper(trim(" ~ uscc_column ~ "))") }}
{%- endmacro %}

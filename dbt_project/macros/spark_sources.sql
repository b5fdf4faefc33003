{#- The Spark target's `raw` sources: views over the engine-neutral raw Parquet
    that the ingestion writes (orchestration/ingest/raw_parquet.py), one folder per
    table, partitioned <table>/wave_id=<w>/zone_id=<z>/part-0.parquet. The files
    carry wave_id and zone_id themselves, so the views glob the files instead of
    relying on partition discovery (which would type zone ids by their look).
    Called from on-run-start; renders nothing on other targets. -#}
{% macro create_raw_sources() -%}
    {{ return(adapter.dispatch('create_raw_sources', 'smesurvey')()) }}
{%- endmacro %}

{% macro default__create_raw_sources() -%}
{%- endmacro %}

{% macro spark__create_raw_sources() -%}
    {%- if execute -%}
        {%- set root = env_var('SMESURVEY_RAW_PARQUET', '../data/raw_parquet') | trim -%}
        {%- if root == '' -%}
            {{ exceptions.raise_compiler_error(
                "SMESURVEY_RAW_PARQUET is empty: set it to the raw Parquet folder") }}
        {%- endif -%}
        {% do run_query('create schema if not exists raw') %}
        {%- for table in ['responses', 'zone_register', 'deliveries', 'rejected_rows'] %}
            {% do run_query(
                'create or replace view raw.' ~ table ~ ' as select * from parquet.`'
                ~ root.rstrip('/') ~ '/' ~ table ~ '/wave_id=*/zone_id=*/*.parquet`') %}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#-
    One row per accepted questionnaire of a loaded delivery: renamed and typed,
    restricted columns dropped (A1_uscc only feeds the keyed hash). Nothing is
    derived here: harmonization, size class, industry group and the duplicate rank
    are int_responses_classified's.
-#}
{%- set columns = codebook_columns() -%}

with

deliveries as (

    select delivery_id
    from {{ source('survey', 'deliveries') }}
    where status = 'loaded'

),

source as (

    select responses.*
    from {{ source('survey', 'responses') }} as responses
    inner join deliveries
        on responses.delivery_id = deliveries.delivery_id

),

renamed as (

    select
        md5(
            source.delivery_id || '|' || source.source_file || '|'
            || cast(source.source_row as {{ dbt.type_string() }})
        ) as response_id,
        {{ enterprise_key('source.a1_uscc') }} as enterprise_key,
        source.delivery_id,
        source.zone_id,
        cast(source.wave_id as integer) as wave_id,
        source.instrument_version,
        source.mode,
        source.source_file,
        cast(source.source_row as integer) as source_row,
        {% for col in columns if not col.restricted %}
        cast(source.{{ col.name }} as {{ column_type(col.sql_type) }}) as {{ col.name }},
        {% endfor %}
        source.loaded_at
    from source

)

select * from renamed

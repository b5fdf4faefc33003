with

source as (

    select * from {{ source('survey', 'deliveries') }}

),

renamed as (

    select
        delivery_id,
        zone_id,
        wave_id,
        received_at,
        instrument_version,
        status,
        rows_read,
        rows_accepted,
        rows_rejected,
        message
    from source

)

select * from renamed

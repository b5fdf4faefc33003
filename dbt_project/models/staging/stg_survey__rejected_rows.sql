with

source as (

    select * from {{ source('survey', 'rejected_rows') }}

),

renamed as (

    select
        delivery_id,
        zone_id,
        wave_id,
        source_file,
        source_row,
        rule_id,
        column_name,
        reason
    from source

)

select * from renamed

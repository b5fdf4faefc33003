{#- The population register of loaded deliveries, one row per zone x wave x cell. -#}
with

deliveries as (

    select delivery_id
    from {{ source('survey', 'deliveries') }}
    where status = 'loaded'

),

source as (

    select zone_register.*
    from {{ source('survey', 'zone_register') }} as zone_register
    inner join deliveries
        on zone_register.delivery_id = deliveries.delivery_id

),

renamed as (

    select
        zone_id,
        cast(wave_id as integer) as wave_id,
        industry_section,
        size_class,
        sum(cast(n_enterprises as bigint)) as n_enterprises
    from source
    group by zone_id, wave_id, industry_section, size_class

)

select * from renamed

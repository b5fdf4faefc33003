{#-
    One row per loaded zone-wave with the stamp of what its rows are computed
    from: zone, wave, the loaded delivery, when its rows were loaded, and the
    delivery whose zone register weights them (the same wave's register, else the
    zone's latest earlier one). The zone-wave incremental models keep the stamp on
    every row and rebuild the zone-waves whose stamp changed (macros/zone_waves.sql).
-#}
with

loaded as (

    select
        delivery_id,
        zone_id,
        cast(wave_id as integer) as wave_id
    from {{ source('survey', 'deliveries') }}
    where status = 'loaded'

),

loads as (

    select
        delivery_id,
        max(loaded_at) as loaded_at
    from {{ source('survey', 'responses') }}
    group by delivery_id

),

registers as (

    select distinct
        loaded.zone_id,
        loaded.wave_id,
        loaded.delivery_id
    from {{ source('survey', 'zone_register') }} as zone_register
    inner join loaded
        on zone_register.delivery_id = loaded.delivery_id

),

register_choice as (

    select
        loaded.zone_id,
        loaded.wave_id,
        max(registers.wave_id) as register_wave_id
    from loaded
    inner join registers
        on
            loaded.zone_id = registers.zone_id
            and loaded.wave_id >= registers.wave_id
    group by loaded.zone_id, loaded.wave_id

),

final as (

    select
        loaded.zone_id,
        loaded.wave_id,
        loaded.delivery_id,
        loads.loaded_at,
        registers.delivery_id as register_delivery_id,
        loaded.zone_id
        || '|' || cast(loaded.wave_id as {{ dbt.type_string() }})
        || '|' || loaded.delivery_id
        || '|' || coalesce(cast(loads.loaded_at as {{ dbt.type_string() }}), '')
        || '|' || coalesce(registers.delivery_id, '') as zone_wave_stamp
    from loaded
    left join loads
        on loaded.delivery_id = loads.delivery_id
    left join register_choice
        on
            loaded.zone_id = register_choice.zone_id
            and loaded.wave_id = register_choice.wave_id
    left join registers
        on
            register_choice.zone_id = registers.zone_id
            and register_choice.register_wave_id = registers.wave_id

)

select * from final

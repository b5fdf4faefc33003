{#-
    One row per loaded wave: a digest of its zone-wave stamps (`wave_stamp`), the
    next loaded wave, and a digest of both waves' stamps (`link_stamp`). The wave
    incremental models (int_enterprise_waves, int_enterprise_panel_linked) keep one
    of them on every row and rebuild the waves whose stamp changed
    (macros/zone_waves.sql).
-#}
with

zone_wave_stamps as (

    select * from {{ ref('int_zone_wave_stamps') }}

),

waves as (

    select
        wave_id,
        md5({{ sorted_list_agg('zone_wave_stamp') }}) as wave_stamp
    from zone_wave_stamps
    group by wave_id

),

final as (

    select
        wave_id,
        wave_stamp,
        lead(wave_id) over (order by wave_id) as next_wave_id,
        md5(
            wave_stamp || '|' || coalesce(lead(wave_stamp) over (order by wave_id), '')
        ) as link_stamp
    from waves

)

select * from final

{#- Links between consecutive survey waves of the same enterprise_key: wave t
    and the next wave fielded anywhere (t+1 for a yearly survey). -#}
with

enterprise_waves as (

    select * from {{ ref('int_enterprise_waves') }}

),

waves as (

    select
        wave_id,
        lead(wave_id) over (order by wave_id) as next_wave_id
    from (select distinct wave_id from enterprise_waves) as distinct_waves

),

final as (

    select
        wave_from.enterprise_key,
        wave_from.wave_id as wave_from,
        wave_to.wave_id as wave_to,
        wave_from.zone_id as zone_from,
        wave_to.zone_id as zone_to,
        wave_from.dii_score as dii_score_from,
        wave_to.dii_score as dii_score_to,
        wave_from.dii_level as dii_level_from,
        wave_to.dii_level as dii_level_to,
        wave_from.dma_score as dma_score_from,
        wave_to.dma_score as dma_score_to,
        wave_from.dma_level as dma_level_from,
        wave_to.dma_level as dma_level_to
    from enterprise_waves as wave_from
    inner join waves
        on wave_from.wave_id = waves.wave_id
    inner join enterprise_waves as wave_to
        on wave_from.enterprise_key = wave_to.enterprise_key
            and waves.next_wave_id = wave_to.wave_id

)

select * from final

{#- Where each indicator's series breaks (seed indicator_breaks, generated from the
    codebook crosswalks): trend lines and panel comparisons do not run across a
    break. An indicator without a row is comparable across every version it is in. -#}
with

breaks as (

    select * from {{ ref('indicator_breaks') }}

),

final as (

    select
        indicator_id,
        wave_id,
        instrument_version,
        comparability,
        comparability_note
    from breaks

)

select * from final

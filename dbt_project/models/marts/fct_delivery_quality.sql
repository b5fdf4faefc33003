{#-
    One row per delivery ever landed: what was read, accepted and quarantined,
    and the response-mode mix of what was loaded (stg_survey__responses: the rows
    of loaded deliveries). Offending values stay in the build DB
    (raw.rejected_rows): they may be identifying.
-#}
with

deliveries as (

    select * from {{ ref('stg_survey__deliveries') }}

),

broken as (

    -- rows that broke at least one rule: of a blocked delivery, only these were bad,
    -- though none of its rows was loaded
    select
        delivery_id,
        count(distinct source_file || ':' || cast(source_row as {{ dbt.type_string() }}))
            as rows_broken
    from {{ ref('stg_survey__rejected_rows') }}
    group by delivery_id

),

modes as (

    select
        delivery_id,
        sum(case when mode = 'electronic' then 1 else 0 end) as n_electronic,
        sum(case when mode = 'paper' then 1 else 0 end) as n_paper
    from {{ ref('stg_survey__responses') }}
    group by delivery_id

),

final as (

    select
        deliveries.delivery_id,
        deliveries.zone_id,
        deliveries.wave_id,
        deliveries.status,
        deliveries.received_at,
        deliveries.instrument_version,
        deliveries.rows_read,
        deliveries.rows_accepted,
        deliveries.rows_rejected,
        cast(coalesce(broken.rows_broken, 0) as bigint) as rows_broken,
        cast(coalesce(modes.n_electronic, 0) as bigint) as n_electronic,
        cast(coalesce(modes.n_paper, 0) as bigint) as n_paper,
        deliveries.message
    from deliveries
    left join broken
        on deliveries.delivery_id = broken.delivery_id
    left join modes
        on deliveries.delivery_id = modes.delivery_id

)

select * from final

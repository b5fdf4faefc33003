{#- External reference figures shown beside the survey's own estimates. -#}
with

benchmarks as (

    select * from {{ ref('ref_benchmarks') }}

),

final as (

    select
        benchmark_id,
        source_en,
        survey_year,
        region_en,
        indicator_id,
        band_label_en,
        share
    from benchmarks

)

select * from final

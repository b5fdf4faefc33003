{#- The estimation domains each response belongs to: all, its industry group
    (manufacturing, software_it, telecom_or_trade, other) and its size class. -#}
with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

domains as (

    select
        response_id,
        'all' as domain,
        'all' as domain_type
    from responses
    union all
    select
        response_id,
        industry_group as domain,
        'industry_group' as domain_type
    from responses
    where industry_group is not null
    union all
    select
        response_id,
        size_class as domain,
        'size_class' as domain_type
    from responses
    where size_class is not null

)

select * from domains

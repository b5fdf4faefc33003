{#-
    Additive per-zone-wave aggregates of every indicator, per wave x zone x domain
    (all, industry group, size class) x indicator: counts, weighted sums and the
    zone-wave's linearized-variance sums, from which fct_indicator_estimates derives
    every zone's estimates and the pooled ALL rows (sums of sums). One grouped scan
    of the zone-wave's staged rows: each indicator is one generated boolean
    expression over the wide columns (macros/indicators.sql); no response x item or
    response x indicator table exists. Incremental by zone-wave
    (macros/zone_waves.sql). For a 0/1 outcome y, w^2*y^2 = w^2*y. Bases are
    available-case; n_item_missing counts the base population's item non-response
    (macros/indicators.sql).

    Variance (docs/methodology.md): the zone-wave is a stratum h (n_h weighted
    respondents, register population N_h as fpc), its weighting cells c are post-
    strata (weight w_c, n_c respondents in all). Per domain x indicator, with
    z = in domain and base, A_c = sum z*y and B_c = sum z over cell c:
      var_q0 = c_h sum_c w_c^2 (A_c - A_c^2 / n_c)
      var_q1 = c_h sum_c w_c^2 (A_c - A_c B_c / n_c)
      var_q2 = c_h sum_c w_c^2 (B_c - B_c^2 / n_c)
    with c_h = (1 - n_h / N_h) n_h / (n_h - 1); then for R = sum w z y / sum w z,
    V(R) = (var_q0 - 2 R var_q1 + R^2 var_q2) / (sum w z)^2, also over several zones.
    n_c counts the whole cell, inside or outside the domain: the cell is computed
    first (a CTE), then summed to the domain.
    That is the post-stratified case of the general one (a zone-wave raked to its
    section and size margins, docs/methodology.md#calibration): the residuals are
    those of the least-squares fit on the calibration model's dummies, fitted =
    projection x cell sums (projection by backfitting, CTEs fit_*), the cell sums
    gain the terms dA^2/n_c etc. and the stratum-mean terms L0, L1 enter
    var_q* = c_h (S - L L' / n_h); all 0 under post-stratification.
-#}
-- One generated expression per indicator and measure: sqlfluff's default budget
-- of 100000 parse nodes is far too small for the catalog (it parses in minutes).
-- sqlfluff:max_parse_nodes:500000
{{ zone_wave_incremental_config() }}
{%- set to_build = zone_waves_to_build() -%}
{%- set catalog = indicator_catalog() -%}
{%- set answer_items = indicator_answer_items(catalog) -%}
{%- set answer_keys = indicator_answer_keys(answer_items) -%}
{%- set fit_iterations = var('raking_iterations') | int -%}
{%- set fit_fields = [
    ('weighting_cell', 'weighting_cell'),
    ('factor_a', 'factor_a'),
    ('factor_b', 'factor_b'),
    ('cell_n', 'cell_n'),
    ('unit', 'unit'),
    ('effect_a', 'effect_a'),
    ('effect_b', 'effect_b'),
] -%}
{%- set measures = [
    'n_base', 'n_yes', 'weighted_n_base', 'sum_weight', 'sum_weight_yes',
    'sum_weight_squared', 'sum_weight_squared_yes', 'var_s0', 'var_s1', 'var_s2',
    'var_l0', 'var_l1', 'n_item_missing'
] -%}

{% if to_build == [] -%}
-- nothing to rebuild: no rows, the table's own columns
select * from {{ this }} where false
{%- else -%}
with

stamps as (

    select * from {{ ref('int_zone_wave_stamps') }}

),

responses as (

    select * from {{ ref('int_responses_classified') }}
    where
        {{ delivery_filter('delivery_id', to_build) }}
        -- one questionnaire per enterprise and wave (macro latest_questionnaire_first)
        and questionnaire_rank = 1

),

weights as (

    select
        response_id,
        delivery_id,
        weighting_cell,
        cell_population,
        cell_respondents,
        weight,
        weighting_method,
        calibration_section,
        calibration_size
    from {{ ref('int_response_weights') }}
    where {{ delivery_filter('delivery_id', to_build) }}

),

-- the calibration model of each zone-wave, on its weighting cells (weight constant
-- within a cell): post-stratification, one factor (the cell); raking, two (section
-- and size class), the cells being their combinations
model_cells as (

    select
        delivery_id,
        weighting_cell,
        max(weight) as weight,
        cast(count(*) as double) as cell_n,
        case
            when max(weighting_method) = 'raking' then max(calibration_section)
            else weighting_cell
        end as factor_a,
        case
            when max(weighting_method) = 'raking' then max(calibration_size)
            else '_'
        end as factor_b
    from weights
    where weight is not null
    group by delivery_id, weighting_cell

),

-- the least-squares fit of a variable on the model's dummies (unweighted: the
-- design weight is constant within the zone-wave) depends only on its cell sums;
-- fitted = projection x cell sums. The projection's column of source cell j is the
-- fit of the unit cell sums at j, by backfitting (alternating factor-mean sweeps,
-- folded over a list of cells; exact after one sweep for one factor)
fit_0 as (

    select
        targets.delivery_id,
        sources.weighting_cell as source_cell,
        targets.weighting_cell,
        targets.factor_a,
        targets.factor_b,
        targets.cell_n,
        cast(case when sources.weighting_cell = targets.weighting_cell then 1 else 0 end as double)
            as unit,
        cast(0 as double) as effect_a,
        cast(0 as double) as effect_b
    from model_cells as targets
    inner join model_cells as sources
        on targets.delivery_id = sources.delivery_id

),

-- one list of target cells per source cell, swept 2 x raking_iterations times
-- (even: factor a, odd: factor b; macros/calibration.sql)
fit_lists as (

    select
        delivery_id,
        source_cell,
        {{ sorted_struct_list(struct_of(fit_fields)) }} as cells
    from fit_0
    group by delivery_id, source_cell

),

fit_swept as (

    select
        delivery_id,
        source_cell,
        -- sqlfluff's DuckDB dialect cannot parse a lambda of two parameters
        -- noqa: disable=PRS
        {{ fold_steps('cells', 2 * fit_iterations, 'fit', 'fit_step',
            'case when fit_step % 2 = 0 then '
            ~ backfit_swept('fit', fit_fields, 'factor_a', 'effect_a', 'effect_b')
            ~ ' else ' ~ backfit_swept('fit', fit_fields, 'factor_b', 'effect_b', 'effect_a')
            ~ ' end'
        ) }} as cells
        -- noqa: enable=PRS
    from fit_lists

),

fit_cells as (

    select
        delivery_id,
        source_cell,
        {{ unnest_list('cells') }} as cell
    from fit_swept

),

projections as (

    select
        delivery_id,
        source_cell,
        cell.weighting_cell,
        cell.effect_a + cell.effect_b as fitted
    from fit_cells

),

-- the design's strata: one per zone-wave (its loaded delivery), respondents without
-- a weight (no register) are outside the design
weighting_cells as (

    select distinct
        delivery_id,
        weighting_cell,
        cell_population
    from weights
    where weight is not null

),

stratum_populations as (

    select
        delivery_id,
        sum(cell_population) as stratum_population
    from weighting_cells
    group by delivery_id

),

stratum_samples as (

    select
        delivery_id,
        count(*) as stratum_n
    from weights
    where weight is not null
    group by delivery_id

),

strata as (

    select
        stratum_samples.delivery_id,
        stratum_samples.stratum_n,
        stratum_populations.stratum_population,
        {{ safe_ratio('stratum_samples.stratum_n', 'stratum_populations.stratum_population') }}
            as sampling_fraction,
        {{ safe_ratio('stratum_samples.stratum_n', 'stratum_samples.stratum_n - 1') }}
            as bessel_factor
    from stratum_samples
    inner join stratum_populations
        on stratum_samples.delivery_id = stratum_populations.delivery_id

),

-- c_h = (1 - n_h/N_h) n_h/(n_h - 1). A stratum of one respondent is one post-stratum
-- of one: its residuals are 0 whatever the factor, so 0 here (R would refuse a
-- lonely PSU). A register smaller than the sample (R refuses that fpc too) is taken
-- as a census: no sampling variance.
stratum_factors as (

    select
        strata.*,
        case
            when stratum_n > 1
                then greatest(0.0, 1.0 - sampling_fraction) * bessel_factor
            else 0.0
        end as stratum_factor
    from strata

),

domain_types as (

    select 'all' as domain_type
    union all
    select 'industry_group' as domain_type
    union all
    select 'size_class' as domain_type

),

-- per response: each indicator's population (waves, base population) and
-- numerator, and each numerator item's answered / missing flags, once
answers as (

    select
        responses.delivery_id,
        responses.wave_id,
        responses.zone_id,
        responses.industry_group,
        responses.size_class,
        weights.weighting_cell,
        weights.cell_respondents,
        weights.weight,
        -- noqa: disable=LT02,LT05
        {% for indicator in catalog %}
        {{ indicator_population(indicator, 'responses') }} as pop__{{ loop.index }},
        {{ indicator_any(indicator.numerator, 'responses') }} as num__{{ loop.index }},
        {% endfor %}
        {% for item in answer_items %}
        {{ indicator_item_unanswered(item, 'responses') }} as mis__{{ loop.index }},
        {{ indicator_item_answered(item, 'responses') }} as ans__{{ loop.index }},
        {% endfor %}
        -- noqa: enable=LT02,LT05
        responses.response_id
    from responses
    left join weights
        on responses.response_id = weights.response_id

),

-- per response: each indicator's in_base (available case), yes and item
-- non-response (a stream, never stored); generated from the catalog, laid out by
-- macros/indicators.sql
flags as (

    select
        delivery_id,
        wave_id,
        zone_id,
        industry_group,
        size_class,
        weighting_cell,
        cell_respondents,
        weight,
        -- noqa: disable=LT02,LT05
        {% for indicator in catalog %}
        {% set names = {
            'population': 'pop__' ~ loop.index,
            'numerator': 'num__' ~ loop.index,
            'answer_keys': answer_keys,
        } %}
        {{ indicator_in_base(indicator, names=names) }} as base__{{ loop.index }},
        {{ indicator_numerator(indicator, names=names) }} as yes__{{ loop.index }},
        {{ indicator_item_missing(indicator, names=names) }} as missing__{{ loop.index }},
        {% endfor %}
        -- noqa: enable=LT02,LT05
        response_id
    from answers

),

-- per finest group (industry group x size class x weighting cell): the counts of
-- every indicator, in one pass over the responses; the three domain types are sums
-- of these few groups (tripling the responses instead made the scan three times as
-- long). The weight and n_c are the weighting cell's (constant within it)
fine_cells as (

    select
        delivery_id,
        wave_id,
        zone_id,
        industry_group,
        size_class,
        weighting_cell,
        max(weight) as weight,
        max(cell_respondents) as cell_respondents,
        -- noqa: disable=LT02,LT05
        {% for indicator in catalog %}
        {% set i = loop.index %}
        sum(case when base__{{ i }} then 1 else 0 end) as n_base__{{ i }},
        sum(case when base__{{ i }} and yes__{{ i }} then 1 else 0 end) as n_yes__{{ i }},
        sum(case when missing__{{ i }} then 1 else 0 end) as n_item_missing__{{ i }},
        {% endfor %}
        -- noqa: enable=LT02,LT05
        count(*) as n_responses
    from flags
    group by delivery_id, wave_id, zone_id, industry_group, size_class, weighting_cell

),

-- each group counts in three domains: all, its industry group, its size class
in_domains as (

    select
        fine_cells.*,
        domain_types.domain_type,
        case domain_types.domain_type
            when 'all' then 'all'
            when 'industry_group' then fine_cells.industry_group
            else fine_cells.size_class
        end as domain
    from fine_cells
    cross join domain_types

),

-- per domain x weighting cell: A_c (n_yes) and B_c (n_base) of every indicator
domain_cells as (

    select
        delivery_id,
        wave_id,
        zone_id,
        domain_type,
        domain,
        weighting_cell,
        max(weight) as weight,
        max(weight) * max(weight) as weight_squared,
        cast(max(cell_respondents) as double) as cell_respondents,
        -- noqa: disable=LT02,LT05
        {% for indicator in catalog %}
        {% set i = loop.index %}
        sum(n_base__{{ i }}) as n_base__{{ i }},
        sum(n_yes__{{ i }}) as n_yes__{{ i }},
        sum(n_item_missing__{{ i }}) as n_item_missing__{{ i }},
        {% endfor %}
        -- noqa: enable=LT02,LT05
        sum(n_responses) as n_responses
    from in_domains
    -- a domain value of null (no industry group / size class) is no domain
    where domain is not null
    group by delivery_id, wave_id, zone_id, domain_type, domain, weighting_cell

),

-- per domain: sums over its cells; respondents without a weight form one cell of
-- null weight, which counts in n_base and adds nothing to the weighted sums
wide as (

    select
        delivery_id,
        wave_id,
        zone_id,
        domain_type,
        domain,
        -- var_s*: a cell outside the base adds 0 (A = B = 0), an unweighted one null
        -- noqa: disable=LT02,LT05
        {% for indicator in catalog %}
        {% set i = loop.index %}
        {% set a = 'n_yes__' ~ i %}
        {% set b = 'n_base__' ~ i %}
        sum({{ b }}) as n_base__{{ i }},
        sum({{ a }}) as n_yes__{{ i }},
        sum(case when weight is not null then {{ b }} else 0 end) as weighted_n_base__{{ i }},
        sum(case when {{ b }} > 0 then weight * {{ b }} end) as sum_weight__{{ i }},
        sum(case when {{ b }} > 0 then weight * {{ a }} end) as sum_weight_yes__{{ i }},
        sum(case when {{ b }} > 0 then weight_squared * {{ b }} end) as sum_weight_squared__{{ i }},
        sum(case when {{ b }} > 0 then weight_squared * {{ a }} end)
            as sum_weight_squared_yes__{{ i }},
        sum(n_item_missing__{{ i }}) as n_item_missing__{{ i }},
        {% endfor %}
        -- noqa: enable=LT02,LT05
        sum(n_responses) as n_responses
    from domain_cells
    group by delivery_id, wave_id, zone_id, domain_type, domain

),

-- per domain x model cell c: the fitted values FA_c, FB_c of z*y and z (the
-- projection applied to the domain's cell sums A, B; cells outside the domain too)
domain_fits as (

    select
        domain_cells.delivery_id,
        domain_cells.domain_type,
        domain_cells.domain,
        projections.weighting_cell,
        -- noqa: disable=LT02,LT05
        {% for indicator in catalog %}
        {% set i = loop.index %}
        sum(projections.fitted * domain_cells.n_yes__{{ i }}) as fit_yes__{{ i }},
        sum(projections.fitted * domain_cells.n_base__{{ i }}) as fit_base__{{ i }},
        {% endfor %}
        -- noqa: enable=LT02,LT05
        count(*) as n_sources
    from domain_cells
    inner join projections
        on
            domain_cells.delivery_id = projections.delivery_id
            and domain_cells.weighting_cell = projections.source_cell
    group by
        domain_cells.delivery_id,
        domain_cells.domain_type,
        domain_cells.domain,
        projections.weighting_cell

),

-- per domain x model cell: with e = u - fit (u = z (y - R) / N_hat, every term a
-- quadratic in R), the cell's sum of w^2 e^2 as s0 - 2 R s1 + R^2 s2 and of w e
-- as l0 - R l1 (all over N_hat^k). Written as the within-cell sum of squares plus
-- the cell-mean term, sum (a - f)^2 = (A - A^2/n) + (A - n f)^2 / n, so that a fit
-- equal to the cell mean (post-stratification) adds exactly nothing
residual_cells as (

    select
        domain_fits.delivery_id,
        domain_fits.domain_type,
        domain_fits.domain,
        -- noqa: disable=LT02,LT05
        {% for indicator in catalog %}
        {% set i = loop.index %}
        {% set a = 'coalesce(domain_cells.n_yes__' ~ i ~ ', 0)' %}
        {% set b = 'coalesce(domain_cells.n_base__' ~ i ~ ', 0)' %}
        {% set fa = 'domain_fits.fit_yes__' ~ i %}
        {% set fb = 'domain_fits.fit_base__' ~ i %}
        {% set da = '(' ~ a ~ ' - model_cells.cell_n * ' ~ fa ~ ')' %}
        {% set db = '(' ~ b ~ ' - model_cells.cell_n * ' ~ fb ~ ')' %}
        model_cells.weight * model_cells.weight * (
            {{ a }} - {{ a }} * {{ a }} / model_cells.cell_n + {{ da }} * {{ da }} / model_cells.cell_n
        ) as s0__{{ i }},
        model_cells.weight * model_cells.weight * (
            {{ a }} - {{ a }} * {{ b }} / model_cells.cell_n + {{ da }} * {{ db }} / model_cells.cell_n
        ) as s1__{{ i }},
        model_cells.weight * model_cells.weight * (
            {{ b }} - {{ b }} * {{ b }} / model_cells.cell_n + {{ db }} * {{ db }} / model_cells.cell_n
        ) as s2__{{ i }},
        model_cells.weight * {{ da }} as l0__{{ i }},
        model_cells.weight * {{ db }} as l1__{{ i }},
        {% endfor %}
        -- noqa: enable=LT02,LT05
        model_cells.weighting_cell
    from domain_fits
    inner join model_cells
        on
            domain_fits.delivery_id = model_cells.delivery_id
            and domain_fits.weighting_cell = model_cells.weighting_cell
    left join domain_cells
        on
            domain_fits.delivery_id = domain_cells.delivery_id
            and domain_fits.domain_type = domain_cells.domain_type
            and domain_fits.domain = domain_cells.domain
            and domain_fits.weighting_cell = domain_cells.weighting_cell

),

residual_sums as (

    select
        delivery_id,
        domain_type,
        domain,
        -- noqa: disable=LT02,LT05
        {% for indicator in catalog %}
        {% set i = loop.index %}
        sum(s0__{{ i }}) as var_s0__{{ i }},
        sum(s1__{{ i }}) as var_s1__{{ i }},
        sum(s2__{{ i }}) as var_s2__{{ i }},
        sum(l0__{{ i }}) as var_l0__{{ i }},
        sum(l1__{{ i }}) as var_l1__{{ i }},
        {% endfor %}
        -- noqa: enable=LT02,LT05
        count(*) as n_model_cells
    from residual_cells
    group by delivery_id, domain_type, domain

),

wide_with_variance as (

    select
        wide.*,
        -- noqa: disable=LT02,LT05
        {% for indicator in catalog %}
        {% set i = loop.index %}
        residual_sums.var_s0__{{ i }},
        residual_sums.var_s1__{{ i }},
        residual_sums.var_s2__{{ i }},
        residual_sums.var_l0__{{ i }},
        residual_sums.var_l1__{{ i }},
        {% endfor %}
        -- noqa: enable=LT02,LT05
        residual_sums.n_model_cells
    from wide
    left join residual_sums
        on
            wide.delivery_id = residual_sums.delivery_id
            and wide.domain_type = residual_sums.domain_type
            and wide.domain = residual_sums.domain

),

catalog as (

    select indicator_id from {{ ref('indicators') }}

),

long as (

    select
        wide.delivery_id,
        wide.wave_id,
        wide.zone_id,
        wide.domain,
        wide.domain_type,
        catalog.indicator_id,
        -- noqa: disable=LT02,LT05
        {% for measure in measures %}
        case catalog.indicator_id
            {% for indicator in catalog %}
            when '{{ indicator.id }}' then wide.{{ measure }}__{{ loop.index }}
            {% endfor %}
        end as {{ measure }},
        {% endfor %}
        -- noqa: enable=LT02,LT05
        wide.n_responses
    from wide_with_variance as wide
    cross join catalog

),

final as (

    select
        long.wave_id,
        long.zone_id,
        long.domain,
        long.domain_type,
        long.indicator_id,
        cast(long.n_base as bigint) as n_base,
        cast(long.n_yes as bigint) as n_yes,
        cast(long.weighted_n_base as bigint) as weighted_n_base,
        long.sum_weight,
        long.sum_weight_yes,
        long.sum_weight_squared,
        long.sum_weight_squared_yes,
        -- the stratum factor c_h turns the cell sums into the zone-wave's Q0, Q1, Q2,
        -- less n_h times the squared stratum mean of w e (0 under post-stratification)
        (long.var_s0 - long.var_l0 * long.var_l0 / strata.stratum_n) * strata.stratum_factor
            as var_q0,
        (long.var_s1 - long.var_l0 * long.var_l1 / strata.stratum_n) * strata.stratum_factor
            as var_q1,
        (long.var_s2 - long.var_l1 * long.var_l1 / strata.stratum_n) * strata.stratum_factor
            as var_q2,
        cast(strata.stratum_n as bigint) as stratum_n,
        cast(strata.stratum_population as bigint) as stratum_population,
        cast(long.n_responses as bigint) as n_responses,
        cast(long.n_item_missing as bigint) as n_item_missing,
        long.delivery_id,
        {{ model_stamp('stamps.zone_wave_stamp') }} as zone_wave_stamp,
        '{{ invocation_id }}' as built_by
    from long
    inner join stamps
        on long.delivery_id = stamps.delivery_id
    -- a zone-wave without any weight is no stratum of the design
    left join stratum_factors as strata
        on long.delivery_id = strata.delivery_id
    -- an indicator nobody of the domain is in the base of (nor failed to answer)
    -- has nothing to estimate or report
    where long.n_base > 0 or long.n_item_missing > 0

)

select * from final
{%- endif %}

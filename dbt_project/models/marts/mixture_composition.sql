-- Each mixture recipe's composition per phase and domain against its target: tokens and shares, and the
-- shortfall the manifest recorded where the lake did not hold enough.
with cells as (

    select * from {{ ref('stg_mixture_cells') }}

),

summaries as (

    select * from {{ ref('stg_mixture_summaries') }}

),

per_domain as (

    select
        recipe,
        phase,
        domain,
        sum(target_tokens) as target_tokens,
        sum(achieved_tokens) as achieved_tokens,
        sum(shortfall_tokens) as shortfall_tokens,
        sum(documents) as documents,
        sum(copies) as copies,
        sum(candidates) as candidates
    from cells
    group by 1, 2, 3

),

shares as (

    select
        per_domain.*,
        round(target_tokens / nullif(sum(target_tokens) over (partition by recipe, phase), 0), 4) as target_share,
        round(achieved_tokens / nullif(sum(achieved_tokens) over (partition by recipe, phase), 0), 4)
            as achieved_share
    from per_domain

),

composition as (

    select
        shares.recipe,
        shares.phase,
        shares.domain,
        shares.target_tokens,
        shares.achieved_tokens,
        shares.target_share,
        shares.achieved_share,
        round(shares.achieved_share - shares.target_share, 4) as share_gap,
        shares.shortfall_tokens,
        shares.documents,
        shares.copies,
        shares.candidates,
        summaries.lake_snapshot_id,
        summaries.recipe_sha256
    from shares
    left join summaries using (recipe)

)

select * from composition

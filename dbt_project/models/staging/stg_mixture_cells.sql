with source as (

    select * from {{ source('lake', 'mixture_cells') }}

),

renamed as (

    select
        recipe,
        phase,
        stream,
        source as crawl_source,
        domain,
        target_tokens,
        achieved_tokens,
        documents,
        copies,
        candidates,
        capacity_tokens,
        shortfall_tokens
    from source

)

select * from renamed

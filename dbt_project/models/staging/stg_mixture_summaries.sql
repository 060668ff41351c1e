with source as (

    select * from {{ source('lake', 'mixture_summaries') }}

),

renamed as (

    select
        recipe,
        recipe_sha256,
        lake_snapshot_id,
        code_version,
        summary
    from source

)

select * from renamed

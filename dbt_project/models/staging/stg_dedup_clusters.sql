with source as (

    select * from {{ source('lake', 'dedup_clusters') }}

),

renamed as (

    select
        doc_id,
        crawl_file,
        cluster_id,
        cluster_size,
        is_representative,
        match_kind
    from source

)

select * from renamed

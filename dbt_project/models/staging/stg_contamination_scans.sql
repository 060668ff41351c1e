with source as (

    select * from {{ source('lake', 'contamination_scans') }}

),

renamed as (

    select
        crawl_file,
        benchmark,
        benchmark_version,
        n_grams,
        documents,
        contaminated_documents,
        scanned_at
    from source

)

select * from renamed

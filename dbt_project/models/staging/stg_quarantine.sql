with source as (

    select * from {{ source('lake', 'quarantine') }}

),

renamed as (

    select
        crawl_file,
        record_offset,
        warc_record_id,
        url,
        reason,
        detail
    from source

)

select * from renamed

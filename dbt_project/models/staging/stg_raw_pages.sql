-- Pages without their payloads: the columns statistics need, cheap to scan.
with source as (

    select * from {{ source('lake', 'raw_pages') }}

),

renamed as (

    select
        page_id,
        crawl_file,
        record_offset,
        url,
        host,
        fetch_date,
        http_status,
        lower(split_part(content_type, ';', 1)) as media_type,
        charset,
        payload_bytes,
        coalesce(octet_length(html), strlen(text)) as stored_bytes,
        truncated,
        source_format
    from source

)

select * from renamed

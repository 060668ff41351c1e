with source as (

    select * from {{ source('lake', 'crawl_files') }}

),

renamed as (

    select
        crawl_file,
        source_format,
        compression,
        file_bytes,
        records_seen,
        warcinfo_records,
        request_records,
        response_records,
        metadata_records,
        other_records,
        pages_stored,
        non_html_skipped,
        empty_text_skipped,
        quarantined,
        truncated_pages,
        dates_from_http_header,
        parser,
        ingested_at
    from source

)

select * from renamed

-- Per crawl partition: records in, pages kept, what was skipped or quarantined, and why pages are missing.
with crawl_files as (

    select * from {{ ref('stg_crawl_files') }}

),

pages as (

    select * from {{ ref('stg_raw_pages') }}

),

quarantine as (

    select * from {{ ref('stg_quarantine') }}

),

pages_per_file as (

    select
        crawl_file,
        count(*) as pages_in_lake,
        count(*) filter (where truncated) as truncated_pages_in_lake,
        count(distinct host) as hosts,
        sum(stored_bytes) as stored_bytes,
        min(fetch_date) as first_fetch,
        max(fetch_date) as last_fetch
    from pages
    group by 1

),

quarantine_per_file as (

    select crawl_file, count(*) as quarantined_in_lake
    from quarantine
    group by 1

),

funnel as (

    select
        crawl_files.crawl_file,
        crawl_files.source_format,
        crawl_files.file_bytes,
        crawl_files.records_seen,
        crawl_files.response_records,
        crawl_files.pages_stored,
        crawl_files.non_html_skipped,
        crawl_files.empty_text_skipped,
        coalesce(pages_per_file.pages_in_lake, 0) as pages_in_lake,
        coalesce(quarantine_per_file.quarantined_in_lake, 0) as quarantined,
        coalesce(pages_per_file.truncated_pages_in_lake, 0) as truncated_pages,
        coalesce(pages_per_file.hosts, 0) as hosts,
        coalesce(pages_per_file.stored_bytes, 0) as stored_bytes,
        pages_per_file.first_fetch,
        pages_per_file.last_fetch,
        round(coalesce(quarantine_per_file.quarantined_in_lake, 0) / nullif(crawl_files.records_seen, 0), 4)
            as quarantine_rate,
        crawl_files.ingested_at
    from crawl_files
    left join pages_per_file using (crawl_file)
    left join quarantine_per_file using (crawl_file)

)

select * from funnel

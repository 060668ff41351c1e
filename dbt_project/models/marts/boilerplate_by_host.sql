-- Per host: how much of its text is repeated boilerplate (template lines of the host, banners the corpus shares),
-- counted per document; what manifests and shards leave out of each text.
with documents as (

    select * from {{ ref('stg_documents') }}

),

document_boilerplate as (

    select * from {{ ref('stg_document_boilerplate') }}

),

boilerplate_lines as (

    select * from {{ ref('stg_boilerplate_lines') }}

),

per_document as (

    select
        coalesce(d.host, '(no host)') as host,
        d.doc_id,
        d.char_count,
        coalesce(b.boilerplate_lines, 0) as boilerplate_lines,
        coalesce(b.host_boilerplate_lines, 0) as host_boilerplate_lines,
        coalesce(b.corpus_boilerplate_lines, 0) as corpus_boilerplate_lines,
        coalesce(b.boilerplate_chars, 0) as boilerplate_chars
    from documents as d
    left join document_boilerplate as b using (doc_id)

),

per_host as (

    select
        host,
        count(*) as documents,
        count(*) filter (where boilerplate_lines > 0) as documents_with_boilerplate,
        sum(boilerplate_lines) as boilerplate_lines,
        sum(host_boilerplate_lines) as host_boilerplate_lines,
        sum(corpus_boilerplate_lines) as corpus_boilerplate_lines,
        max(boilerplate_lines) as most_boilerplate_lines_in_a_document,
        sum(boilerplate_chars) as boilerplate_chars,
        sum(char_count) as chars
    from per_document
    group by 1

),

template_lines as (

    select host, count(*) as template_lines, arg_max(example, documents) as most_shared_line
    from boilerplate_lines
    where scope = 'host'
    group by 1

),

final as (

    select
        p.*,
        round(p.boilerplate_lines / p.documents, 3) as boilerplate_lines_per_document,
        round(p.boilerplate_chars / greatest(p.chars, 1), 4) as boilerplate_char_share,
        coalesce(t.template_lines, 0) as template_lines,
        t.most_shared_line
    from per_host as p
    left join template_lines as t using (host)

)

select * from final

-- The most frequent concepts (content terms) per domain, as concept-frequency studies count them: the number
-- of documents that mention a term, its share of the domain, and its lift over the whole rated corpus.
with term_frequencies as (

    select * from {{ ref('int_concept_term_frequencies') }}

),

corpus as (

    select count(distinct doc_id) as corpus_documents from {{ ref('int_concept_document_terms') }}

),

corpus_terms as (

    select term, sum(term_documents) as corpus_term_documents
    from term_frequencies
    group by 1

),

scored as (

    select
        term_frequencies.domain,
        term_frequencies.term,
        term_frequencies.term_documents,
        term_frequencies.domain_documents,
        round(term_frequencies.term_documents / term_frequencies.domain_documents, 4) as document_share,
        round(
            (term_frequencies.term_documents / term_frequencies.domain_documents)
            / (corpus_terms.corpus_term_documents / corpus.corpus_documents),
            3
        ) as lift,
        row_number() over (
            partition by term_frequencies.domain
            order by term_frequencies.term_documents desc, term_frequencies.term
        ) as rank
    from term_frequencies
    join corpus_terms using (term)
    cross join corpus
    where term_frequencies.term_documents >= {{ var('concept_min_documents') }}

)

select * from scored
where rank <= {{ var('concept_top_terms') }}

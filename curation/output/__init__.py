"""What changes in a text on its way out of the lake (shards): FineWeb-2's output fixes, in its order: mojibake
repaired (ftfy), e-mail and IP addresses anonymized, table-artifact lines of `|` collapsed. The lake keeps every
text as extracted; these run where text leaves it, and their per-document counts are signals
(`document_output_fixes`)."""

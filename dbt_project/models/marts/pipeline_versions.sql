-- Every lake snapshot with its commit message, the tables it changed and their row counts as of that snapshot:
-- which run wrote what, and how big each table was after it. Row counts come from the catalog's file records
-- (rows of the data files live at the snapshot, less their live deletes), not from reading the data.
with snapshot_changes as (

    select * from {{ ref('stg_lake_snapshots') }}

),

catalog_tables as (

    select t.table_id, s.schema_name || '.' || t.table_name as table_name, t.begin_snapshot, t.end_snapshot
    from {{ ducklake_metadata('ducklake_table') }} as t
    join {{ ducklake_metadata('ducklake_schema') }} as s using (schema_id)

),

data_files as (

    select table_id, begin_snapshot, end_snapshot, record_count
    from {{ ducklake_metadata('ducklake_data_file') }}

),

delete_files as (

    select table_id, begin_snapshot, end_snapshot, delete_count
    from {{ ducklake_metadata('ducklake_delete_file') }}

),

table_changes as (

    -- inserts and deletes name the table by id, creations by schema-qualified name
    select
        c.snapshot_id,
        c.change,
        t.table_id,
        t.table_name
    from snapshot_changes as c
    join catalog_tables as t
        on (c.change in ('tables_inserted_into', 'tables_deleted_from') and c.object = cast(t.table_id as varchar))
        or (c.change = 'tables_created' and c.object = t.table_name and t.begin_snapshot = c.snapshot_id)
    where c.snapshot_id >= t.begin_snapshot and (t.end_snapshot is null or c.snapshot_id < t.end_snapshot)

),

changed_tables as (

    select
        snapshot_id,
        table_id,
        table_name,
        bool_or(change = 'tables_created') as created,
        bool_or(change = 'tables_inserted_into') as inserted_into,
        bool_or(change = 'tables_deleted_from') as deleted_from
    from table_changes
    group by 1, 2, 3

),

live_rows as (

    select
        changed.snapshot_id,
        changed.table_id,
        coalesce(sum(f.record_count), 0) as file_rows
    from changed_tables as changed
    left join data_files as f
        on f.table_id = changed.table_id
        and f.begin_snapshot <= changed.snapshot_id
        and (f.end_snapshot is null or f.end_snapshot > changed.snapshot_id)
    group by 1, 2

),

live_deletes as (

    select
        changed.snapshot_id,
        changed.table_id,
        coalesce(sum(d.delete_count), 0) as deleted_rows
    from changed_tables as changed
    left join delete_files as d
        on d.table_id = changed.table_id
        and d.begin_snapshot <= changed.snapshot_id
        and (d.end_snapshot is null or d.end_snapshot > changed.snapshot_id)
    group by 1, 2

),

snapshots as (

    select distinct snapshot_id, snapshot_time, author, commit_message
    from snapshot_changes

),

versions as (

    select
        snapshots.snapshot_id,
        snapshots.snapshot_time,
        snapshots.author,
        snapshots.commit_message,
        changed.table_name,
        changed.created,
        changed.inserted_into,
        changed.deleted_from,
        live_rows.file_rows - coalesce(live_deletes.deleted_rows, 0) as row_count
    from snapshots
    left join changed_tables as changed using (snapshot_id)
    left join live_rows using (snapshot_id, table_id)
    left join live_deletes using (snapshot_id, table_id)

)

select * from versions

// SwitchboardStore: SQLite through GRDB, schema, migrations, group-commit writer.

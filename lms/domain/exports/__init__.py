"""Writers of a `lms.domain.tables.Table`: CSV (`csvfile`), XLSX (`xlsx`) and a printable PDF (`pdf`).
Each reads the table only through `header()`, `body()` and `footer()`, so each holds exactly the figures the
screen shows (docs/reporting.md, "Exports and charts")."""

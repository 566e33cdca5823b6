"""What people open: lists, workbooks and reports, written through one safe XLSX writer into a dated outbox."""

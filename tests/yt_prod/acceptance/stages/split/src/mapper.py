from ytjobs import load_config, read_rows, write_row, write_rows

config = load_config()  # read from the JSON twin: the job's python3 has no PyYAML
outputs = config["client"]["operations"]["map"]["output_tables"]
for row in read_rows():
    table = 0 if row["kind"] == "click" else 1
    write_row({"id": row["id"], "user": row["user"], "to": outputs[table]}, table_index=table)
write_rows([])  # flush

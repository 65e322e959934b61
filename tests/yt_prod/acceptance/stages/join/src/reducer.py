from ytjobs import groups, read_indexed_rows, write_rows


def joined():
    for user, items in groups(read_indexed_rows(), "user"):
        age, events = None, []
        for table_index, row in items:
            if table_index == 0:  # users
                age = row["age"]
            else:  # events: a reduce gives a key's rows table by table
                events.append(row["id"])
        yield {"user": user, "age": age, "events": events}


write_rows(joined())

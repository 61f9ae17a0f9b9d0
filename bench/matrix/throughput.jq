# The data of bench/matrix/throughput.gp from a results document: per drain, its path, its ratios
# to its limits, outboxd's events/s, the storage limit, the transport limit ("-": none).
def num: if . == null then "-" else tostring end;
.drains[]
| (.limits | map(select(.name | test("bare") | not)) | first) as $storage
| (.limits | map(select(.name | test("bare"))) | first) as $transport
| [.path,
   (.limits | map("\(.ratio | num)") | join(" | ") | if . == "" then "" else "(" + . + " of limits)" end),
   (.events_per_s | num), ($storage.events_per_s | num), ($transport.events_per_s | num)]
| @tsv

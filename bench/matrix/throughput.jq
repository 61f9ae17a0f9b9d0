# The data of bench/matrix/throughput.gp from a results document: per drain, its path, its ratios
# to its limits, outboxd's events/s, the storage limit, the transport limit ("-": none).
def num: if . == null then "-" else tostring end;
# Two decimals, so that a path's label fits under its bars.
def ratio: if . == null then "-" else (. * 100 | round / 100 | tostring) end;
.drains[]
| (.limits | map(select(.name | test("bare") | not)) | first) as $storage
| (.limits | map(select(.name | test("bare"))) | first) as $transport
| [.path,
   (.limits | map("\(.ratio | ratio)") | join(" | ") | if . == "" then "" else "(" + . + ")" end),
   (.events_per_s | num), ($storage.events_per_s | num), ($transport.events_per_s | num)]
| @tsv

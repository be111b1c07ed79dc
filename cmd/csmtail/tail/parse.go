package tail

import "github.com/opencsm/csm-go/internal/ingest"

// event is one CSM metric, as package ingest parses it.
type event = ingest.Event

// The two kinds of CSM event.
const (
	typeAPICall        = ingest.TypeAPICall
	typeAPICallAttempt = ingest.TypeAPICallAttempt
)

// badReason tells why a datagram is bad.
type badReason = ingest.BadReason

// The reasons a datagram is bad.
const (
	badEmpty       = ingest.BadEmpty
	badTooLarge    = ingest.BadTooLarge
	badNotJSON     = ingest.BadNotJSON
	badWrongType   = ingest.BadWrongType
	badUnknownType = ingest.BadUnknownType
)

// badReasons lists every reason, for counters that start at zero.
var badReasons = ingest.BadReasons

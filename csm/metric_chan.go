package csm

// MetricsChannelSize is the capacity, in metrics, of a reporter's queue. It
// is read when the reporter is created by Start or Enable; changing it later
// has no effect on a running reporter. A full queue never blocks an API
// call: the metric is dropped and counted in Stats.DroppedFull.
//
// Each queued metric holds at most a few kilobytes of strings (the limits
// are listed in the package documentation), so the queue's memory is bounded
// by MetricsChannelSize times that.
var MetricsChannelSize = 100

// metricChan is the bounded queue between the SDK handlers, which push
// metrics on the API call's goroutine, and the sender goroutine.
type metricChan struct {
	ch    chan metric
	stats *counters
}

func newMetricChan(size int, stats *counters) metricChan {
	if size < 1 {
		size = 1
	}
	return metricChan{ch: make(chan metric, size), stats: stats}
}

// push queues m without blocking and counts the outcome.
func (q metricChan) push(m metric) {
	select {
	case q.ch <- m:
		q.stats.queued.Add(1)
	default:
		q.stats.droppedFull.Add(1)
	}
}

"""Everything that knows QuickBooks Online. Views call only `sync.request_*`; jobs do the calls."""

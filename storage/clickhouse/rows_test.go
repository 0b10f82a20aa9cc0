package clickhouse

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// TestCallColumnsStrings checks that every string column reads back what
// was added, across buffer regrowth, repeated values and a reused batch.
func TestCallColumnsStrings(t *testing.T) {
	c := &callColumns{sample: 1 << 20, rows: 10}
	for round := range 3 {
		calls := testCalls(fmt.Sprintf("r%d", round), 3000)
		for i := range calls {
			k := &calls[i]
			// Large bodies make the buffers regrow while the batch fills;
			// some rows repeat the previous host, some do not.
			k.RespBody.Data = []byte(strings.Repeat(string(rune('a'+i%26)), 1000+i%3+round*7))
			if i%7 == 0 {
				k.Host = fmt.Sprintf("h%d.test", i)
			}
			if i%5 == 0 {
				k.Actor.User = ""
			}
			// Runs of the same server address (copied from the row
			// before) and changes, including to none.
			switch i % 11 {
			case 3, 4:
				k.Server = netip.MustParseAddrPort("[2001:db8::7]:443")
			case 5:
				k.Server = netip.AddrPort{}
			}
		}
		for lo := 0; lo < len(calls); lo += 700 {
			c.add(calls[lo:min(lo+700, len(calls))])
		}
		if c.len() != len(calls) {
			t.Fatalf("round %d: %d rows", round, c.len())
		}
		vals := c.values()
		get := func(name string, i int) string {
			for j, n := range c.names() {
				if n == name {
					return strAt(vals[j].(*strCol), i)
				}
			}
			t.Fatalf("no column %s", name)
			return ""
		}
		for i := range calls {
			k := &calls[i]
			var hdr []string
			for _, h := range k.ReqHeaders {
				hdr = append(hdr, h.Name+": "+h.Value)
			}
			for name, want := range map[string]string{
				"id": k.ID, "host": k.Host, "method": k.Method, "path": k.Path, "query": k.RawQuery,
				"actor": k.Actor.Key(), "user": k.Actor.User, "client_ip": k.Actor.ClientIP.String(),
				"server_ip": addrText(k.Server.Addr()), "user_agent": "curl/8.0",
				"req_headers": strings.Join(hdr, "\n"), "resp_headers": "Content-Type: application/json",
				"resp_body": string(k.RespBody.Data), "req_body": string(k.ReqBody.Data), "source_node": "node-1",
				"template": "", "jwt_issuer": k.Actor.Issuer,
			} {
				if got := get(name, i); got != want {
					t.Fatalf("round %d row %d %s = %q, want %q", round, i, name, got, want)
				}
			}
		}
		c.reset()
		for _, col := range c.strCols() {
			if col.Rows() != 0 || len(col.Buf) != 0 {
				t.Fatalf("reset left %d rows, %d bytes", col.Rows(), len(col.Buf))
			}
		}
	}
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

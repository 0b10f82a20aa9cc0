package discovery

import "strings"

// stripPathParams removes the parameters a segment carries after ';' when
// they are key=value pairs (RFC 3986 path parameters: /cart;jsessionid=1A2B,
// /cars;color=red): a servlet's session id or a filter is, like a query
// string, no part of the endpoint, and left in place it makes the segment
// a token that merges the API's collections into one parameter. A ';' with
// no '=' after it in the segment is data (13.38,52.51;13.39,52.52, a list
// of coordinates) and stays. A path without ';' is returned as it is.
func stripPathParams(path string) string {
	if strings.IndexByte(path, ';') < 0 {
		return path
	}
	var b strings.Builder
	b.Grow(len(path))
	for path != "" {
		seg, rest := path, ""
		if j := strings.IndexByte(path[1:], '/'); j >= 0 {
			seg, rest = path[:j+1], path[j+1:]
		}
		if k := strings.IndexByte(seg, ';'); k >= 0 && strings.IndexByte(seg[k:], '=') >= 0 {
			seg = seg[:k]
		}
		b.WriteString(seg)
		path = rest
	}
	return b.String()
}

package discovery

import "testing"

// TestPathParams: key=value parameters after ';' in a segment (a
// servlet's jsessionid, a matrix filter) are no part of the endpoint: the
// collections keep their names and their ids their slot; a ';' in data
// (a list of coordinates) is kept.
func TestPathParams(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v1/items;jsessionid=1A2B3C4D5E":       "/api/v1/items",
		"/cars;color=red;make=vw/42":                "/cars/42",
		"/route/v1/driving/13.38,52.51;13.39,52.52": "/route/v1/driving/13.38,52.51;13.39,52.52",
		"/a;b/c":      "/a;b/c",
		"/plain/path": "/plain/path",
		";x=1":        "",
	} {
		if got := stripPathParams(in); got != want {
			t.Errorf("stripPathParams(%q) = %q, want %q", in, got, want)
		}
	}
	checkTemplates(t, []string{
		"/api/v1/items;jsessionid=1A2B3C4D5E6F7G8H", "/api/v1/orders;jsessionid=9Z8Y7X6W5V4U3T2S", "/api/v1/orders/1001;jsessionid=9Z8Y7X6W5V4U3T2S",
		"/api/v1/items/77",
	}, map[string]string{
		"/api/v1/items;jsessionid=1A2B3C4D5E6F7G8H":       "/api/v1/items",
		"/api/v1/orders;jsessionid=9Z8Y7X6W5V4U3T2S":      "/api/v1/orders",
		"/api/v1/orders/1001;jsessionid=9Z8Y7X6W5V4U3T2S": "/api/v1/orders/{id}",
	})
}

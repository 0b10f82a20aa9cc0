package detect

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/apitap/apitap/apicall"
)

// Observation wire format (the records of apitap.observations.v1): what
// the actor tier hands to the endpoint tier. It is a protobuf message
// written with protowire; ObservationWireMajor changes when a field
// changes meaning, and the Kafka header apitap-schema carries
// ObservationWireVersion. Unknown fields are skipped, so fields may be
// added within a major version.
//
//	message Observation {
//	  uint32 version = 1;          // ObservationWireMajor
//	  string host = 2;
//	  string method = 3;
//	  string template = 4;
//	  sint32 spec_auth = 5;        // -1 unknown, 0 no, 1 yes
//	  repeated string spec_props = 6;
//	  string endpoint = 7;         // "METHOD /template"
//	  string object_id = 8;
//	  uint32 kind = 9;             // EndpointKind
//	  string actor = 10;
//	  string role = 11;
//	  string prev = 12;
//	  repeated fixed64 recent = 13; // most recent first
//	  uint32 ep_calls = 14;
//	  bool anomalous = 15;
//	  apicall.Call call = 16;      // trimmed: see TrimForEndpoint
//	}
const (
	ObservationWireMajor   = 1
	ObservationWireVersion = "1.0"
)

const (
	fObsVersion = 1 + iota
	fObsHost
	fObsMethod
	fObsTemplate
	fObsSpecAuth
	fObsSpecProps
	fObsEndpoint
	fObsObjectID
	fObsKind
	fObsActor
	fObsRole
	fObsPrev
	fObsRecent
	fObsEPCalls
	fObsAnomalous
	fObsCall
)

// TrimForEndpoint returns the part of c the endpoint stage reads (see the
// package doc): headers, addresses, the source and timings other than
// ReqStart are dropped, and the response body is cut to the bytes the
// sensitive-data scan reads.
func TrimForEndpoint(c *apicall.Call) apicall.Call {
	t := apicall.Call{ID: c.ID, ReqStart: c.ReqStart, Host: c.Host, Method: c.Method, Path: c.Path, RawQuery: c.RawQuery,
		Status: c.Status, ReqBody: c.ReqBody, RespBody: c.RespBody, Actor: c.Actor, Flags: c.Flags}
	if len(t.RespBody.Data) > maxSensitiveScan {
		t.RespBody.Data = t.RespBody.Data[:maxSensitiveScan]
		t.RespBody.Truncated = true
	}
	return t
}

// AppendObservationWire appends the encoding of o, with o.Call trimmed by
// TrimForEndpoint, to dst.
func AppendObservationWire(dst []byte, o *Observation) []byte {
	dst = protowire.AppendTag(dst, fObsVersion, protowire.VarintType)
	dst = protowire.AppendVarint(dst, ObservationWireMajor)
	dst = appendStr(dst, fObsHost, o.Host)
	dst = appendStr(dst, fObsMethod, o.Method)
	dst = appendStr(dst, fObsTemplate, o.Template)
	if o.SpecAuth != 0 {
		dst = protowire.AppendTag(dst, fObsSpecAuth, protowire.VarintType)
		dst = protowire.AppendVarint(dst, protowire.EncodeZigZag(int64(o.SpecAuth)))
	}
	for _, p := range o.SpecProps {
		dst = protowire.AppendTag(dst, fObsSpecProps, protowire.BytesType)
		dst = protowire.AppendString(dst, p)
	}
	dst = appendStr(dst, fObsEndpoint, o.Endpoint)
	dst = appendStr(dst, fObsObjectID, o.ObjectID)
	dst = appendUint(dst, fObsKind, uint64(o.Kind))
	dst = appendStr(dst, fObsActor, o.Actor)
	dst = appendStr(dst, fObsRole, o.Role)
	dst = appendStr(dst, fObsPrev, o.Prev)
	if n := min(max(o.NRecent, 0), recentN); n > 0 {
		dst = protowire.AppendTag(dst, fObsRecent, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(8*n))
		for _, h := range o.Recent[:n] {
			dst = protowire.AppendFixed64(dst, h)
		}
	}
	dst = appendUint(dst, fObsEPCalls, uint64(o.EPCalls))
	if o.Anomalous {
		dst = appendUint(dst, fObsAnomalous, 1)
	}
	if o.Call != nil {
		t := TrimForEndpoint(o.Call)
		dst = protowire.AppendTag(dst, fObsCall, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(apicall.WireSize(&t)))
		dst = apicall.AppendWire(dst, &t)
	}
	return dst
}

func appendStr(dst []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return dst
	}
	dst = protowire.AppendTag(dst, num, protowire.BytesType)
	return protowire.AppendString(dst, s)
}

func appendUint(dst []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return dst
	}
	dst = protowire.AppendTag(dst, num, protowire.VarintType)
	return protowire.AppendVarint(dst, v)
}

// ErrObservationVersion is returned for a record of another major version.
var ErrObservationVersion = errors.New("observation: unknown major version")

// DecodeObservationWire decodes b into o, with o.Call pointing to c. It
// never panics on malformed input.
func DecodeObservationWire(b []byte, o *Observation, c *apicall.Call) error {
	*o = Observation{Call: c, SpecAuth: -1}
	*c = apicall.Call{}
	version := uint64(0)
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return obsErr("tag", protowire.ParseError(n))
		}
		b = b[n:]
		var v uint64
		var s []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			s, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return obsErr(fmt.Sprintf("field %d", num), protowire.ParseError(n))
		}
		b = b[n:]
		want := protowire.BytesType
		switch num {
		case fObsVersion, fObsSpecAuth, fObsKind, fObsEPCalls, fObsAnomalous:
			want = protowire.VarintType
		case fObsHost, fObsMethod, fObsTemplate, fObsSpecProps, fObsEndpoint, fObsObjectID,
			fObsActor, fObsRole, fObsPrev, fObsRecent, fObsCall:
		default:
			continue // unknown field
		}
		if typ != want {
			return obsErr(fmt.Sprintf("field %d", num), fmt.Errorf("wire type %d, want %d", typ, want))
		}
		switch num {
		case fObsVersion:
			version = v
		case fObsHost:
			o.Host = string(s)
		case fObsMethod:
			o.Method = string(s)
		case fObsTemplate:
			o.Template = string(s)
		case fObsSpecAuth:
			a := protowire.DecodeZigZag(v)
			if a < math.MinInt8 || a > math.MaxInt8 {
				return obsErr("spec_auth", fmt.Errorf("%d out of range", a))
			}
			o.SpecAuth = int8(a)
		case fObsSpecProps:
			if len(o.SpecProps) >= maxProps {
				return obsErr("spec_props", fmt.Errorf("more than %d", maxProps))
			}
			o.SpecProps = append(o.SpecProps, string(s))
		case fObsEndpoint:
			o.Endpoint = string(s)
		case fObsObjectID:
			o.ObjectID = string(s)
		case fObsKind:
			if v > uint64(KindReset) {
				return obsErr("kind", fmt.Errorf("%d unknown", v))
			}
			o.Kind = EndpointKind(v)
		case fObsActor:
			o.Actor = string(s)
		case fObsRole:
			o.Role = string(s)
		case fObsPrev:
			o.Prev = string(s)
		case fObsRecent:
			if len(s)%8 != 0 || len(s)/8 > recentN {
				return obsErr("recent", fmt.Errorf("%d bytes", len(s)))
			}
			for i := 0; len(s) > 0; i++ {
				h, _ := protowire.ConsumeFixed64(s)
				o.Recent[i] = h
				s = s[8:]
				o.NRecent = i + 1
			}
		case fObsEPCalls:
			if v > math.MaxUint32 {
				return obsErr("ep_calls", fmt.Errorf("%d out of range", v))
			}
			o.EPCalls = uint32(v)
		case fObsAnomalous:
			o.Anomalous = v != 0
		case fObsCall:
			if err := apicall.DecodeWire(s, c); err != nil {
				return obsErr("call", err)
			}
		}
	}
	if version != ObservationWireMajor {
		return fmt.Errorf("%w %d", ErrObservationVersion, version)
	}
	if o.Endpoint == "" {
		return obsErr("endpoint", errors.New("missing"))
	}
	return nil
}

func obsErr(what string, err error) error { return fmt.Errorf("decode observation %s: %w", what, err) }

// AppendObservationKey appends the partition key of o on
// apitap.observations.v1: host, method and template, so that one endpoint's
// observations reach one endpoint-stage replica.
func AppendObservationKey(dst []byte, o *Observation) []byte {
	dst = append(dst, o.Host...)
	dst = append(dst, ' ')
	dst = append(dst, o.Method...)
	dst = append(dst, ' ')
	return append(dst, o.Template...)
}

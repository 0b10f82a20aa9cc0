package apicall

import (
	"errors"
	"fmt"
	"math"
	"net/netip"

	"google.golang.org/protobuf/encoding/protowire"
)

// Wire format version of apicall.proto, carried next to each encoded call
// (the Kafka header "apitap-schema" holds WireVersion).
const (
	WireMajor   = 1
	WireMinor   = 0
	WireVersion = "1.0"
)

// Field numbers of apicall.proto.
const (
	fCallID          = 1
	fCallReqStart    = 2
	fCallReqEnd      = 3
	fCallRespStart   = 4
	fCallRespEnd     = 5
	fCallClientAddr  = 6
	fCallClientPort  = 7
	fCallServerAddr  = 8
	fCallServerPort  = 9
	fCallHost        = 10
	fCallMethod      = 11
	fCallPath        = 12
	fCallRawQuery    = 13
	fCallProto       = 14
	fCallReqHeaders  = 15
	fCallRespHeaders = 16
	fCallStatus      = 17
	fCallReason      = 18
	fCallReqBody     = 19
	fCallRespBody    = 20
	fCallSource      = 21
	fCallActor       = 22
	fCallFlags       = 23

	fHeaderName  = 1
	fHeaderValue = 2

	fBodyData        = 1
	fBodyLength      = 2
	fBodyTruncated   = 3
	fBodyContentType = 4
	fBodyEncoding    = 5
	fBodyDecodeError = 6

	fSourceKind = 1
	fSourceName = 2
	fSourceNode = 3
	fSourceVNI  = 4
	fSourceTLS  = 5

	fActorKind      = 1
	fActorUser      = 2
	fActorClientIP  = 3
	fActorIssuer    = 4
	fActorRoles     = 5
	fActorScopes    = 6
	fActorAlg       = 7
	fActorExpiresAt = 8
)

// AppendWire appends the protobuf encoding of c (apicall.proto's Call) to
// dst. The bytes equal proto.Marshal of the generated message holding the
// same values: fields in number order, zero values and all-zero nested
// messages omitted, c.Unknown appended last. Address zones are not encoded.
//
// It is hand-written with protowire because it runs once per call on the
// agent's hot path; sizes are computed first so nothing is moved.
func AppendWire(dst []byte, c *Call) []byte {
	dst = appendStringField(dst, fCallID, c.ID)
	dst = appendIntField(dst, fCallReqStart, c.ReqStart)
	dst = appendIntField(dst, fCallReqEnd, c.ReqEnd)
	dst = appendIntField(dst, fCallRespStart, c.RespStart)
	dst = appendIntField(dst, fCallRespEnd, c.RespEnd)
	dst = appendAddrField(dst, fCallClientAddr, c.Client.Addr())
	dst = appendIntField(dst, fCallClientPort, int64(c.Client.Port()))
	dst = appendAddrField(dst, fCallServerAddr, c.Server.Addr())
	dst = appendIntField(dst, fCallServerPort, int64(c.Server.Port()))
	dst = appendStringField(dst, fCallHost, c.Host)
	dst = appendStringField(dst, fCallMethod, c.Method)
	dst = appendStringField(dst, fCallPath, c.Path)
	dst = appendStringField(dst, fCallRawQuery, c.RawQuery)
	dst = appendStringField(dst, fCallProto, c.Proto)
	dst = appendWireHeaders(dst, fCallReqHeaders, c.ReqHeaders)
	dst = appendWireHeaders(dst, fCallRespHeaders, c.RespHeaders)
	// int32 fields encode negative values sign-extended to 64 bits.
	dst = appendIntField(dst, fCallStatus, int64(int32(c.Status)))
	dst = appendStringField(dst, fCallReason, c.Reason)
	dst = appendBodyField(dst, fCallReqBody, &c.ReqBody)
	dst = appendBodyField(dst, fCallRespBody, &c.RespBody)
	if n := sourceSize(&c.Source); n > 0 {
		dst = appendTag(dst, fCallSource, protowire.BytesType)
		dst = appendVarint(dst, uint64(n))
		dst = appendStringField(dst, fSourceKind, c.Source.Kind)
		dst = appendStringField(dst, fSourceName, c.Source.Name)
		dst = appendStringField(dst, fSourceNode, c.Source.Node)
		dst = appendIntField(dst, fSourceVNI, int64(c.Source.VNI))
		dst = appendBoolField(dst, fSourceTLS, c.Source.TLS)
	}
	if n := actorSize(&c.Actor); n > 0 {
		a := &c.Actor
		dst = appendTag(dst, fCallActor, protowire.BytesType)
		dst = appendVarint(dst, uint64(n))
		dst = appendStringField(dst, fActorKind, a.Kind)
		dst = appendStringField(dst, fActorUser, a.User)
		dst = appendAddrField(dst, fActorClientIP, a.ClientIP)
		dst = appendStringField(dst, fActorIssuer, a.Issuer)
		for _, s := range a.Roles {
			dst = appendRepeatedString(dst, fActorRoles, s)
		}
		for _, s := range a.Scopes {
			dst = appendRepeatedString(dst, fActorScopes, s)
		}
		dst = appendStringField(dst, fActorAlg, a.Alg)
		dst = appendIntField(dst, fActorExpiresAt, a.ExpiresAt)
	}
	dst = appendIntField(dst, fCallFlags, int64(c.Flags))
	return append(dst, c.Unknown...)
}

// WireSize returns len(AppendWire(nil, c)).
func WireSize(c *Call) int {
	n := stringSize(fCallID, c.ID) +
		intSize(fCallReqStart, c.ReqStart) + intSize(fCallReqEnd, c.ReqEnd) +
		intSize(fCallRespStart, c.RespStart) + intSize(fCallRespEnd, c.RespEnd) +
		addrSize(fCallClientAddr, c.Client.Addr()) + intSize(fCallClientPort, int64(c.Client.Port())) +
		addrSize(fCallServerAddr, c.Server.Addr()) + intSize(fCallServerPort, int64(c.Server.Port())) +
		stringSize(fCallHost, c.Host) + stringSize(fCallMethod, c.Method) + stringSize(fCallPath, c.Path) +
		stringSize(fCallRawQuery, c.RawQuery) + stringSize(fCallProto, c.Proto) +
		headersSize(fCallReqHeaders, c.ReqHeaders) + headersSize(fCallRespHeaders, c.RespHeaders) +
		intSize(fCallStatus, int64(int32(c.Status))) + stringSize(fCallReason, c.Reason) +
		messageSize(fCallReqBody, bodySize(&c.ReqBody)) + messageSize(fCallRespBody, bodySize(&c.RespBody)) +
		messageSize(fCallSource, sourceSize(&c.Source)) + messageSize(fCallActor, actorSize(&c.Actor)) +
		intSize(fCallFlags, int64(c.Flags))
	return n + len(c.Unknown)
}

func appendStringField(dst []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return dst
	}
	return appendRepeatedString(dst, num, s)
}

// appendRepeatedString appends s even when empty (an element of a repeated field).
func appendRepeatedString(dst []byte, num protowire.Number, s string) []byte {
	if key := uint64(num)<<3 | uint64(protowire.BytesType); key < 0x80 && len(s) < 0x80 {
		dst = append(dst, byte(key), byte(len(s)))
		return append(dst, s...)
	}
	dst = appendTag(dst, num, protowire.BytesType)
	dst = appendVarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendIntField(dst []byte, num protowire.Number, v int64) []byte {
	if v == 0 {
		return dst
	}
	dst = appendTag(dst, num, protowire.VarintType)
	return appendVarint(dst, uint64(v))
}

func appendBoolField(dst []byte, num protowire.Number, v bool) []byte {
	if !v {
		return dst
	}
	dst = appendTag(dst, num, protowire.VarintType)
	return append(dst, 1)
}

func appendAddrField(dst []byte, num protowire.Number, a netip.Addr) []byte {
	if !a.IsValid() {
		return dst
	}
	dst = appendTag(dst, num, protowire.BytesType)
	if a.Is4() {
		b := a.As4()
		dst = append(dst, 4)
		return append(dst, b[:]...)
	}
	b := a.As16()
	dst = append(dst, 16)
	return append(dst, b[:]...)
}

func appendWireHeaders(dst []byte, num protowire.Number, hs Headers) []byte {
	for i := range hs {
		h := &hs[i]
		dst = appendTag(dst, num, protowire.BytesType)
		dst = appendVarint(dst, uint64(headerSize(h)))
		dst = appendStringField(dst, fHeaderName, h.Name)
		dst = appendStringField(dst, fHeaderValue, h.Value)
	}
	return dst
}

func appendBodyField(dst []byte, num protowire.Number, b *Body) []byte {
	n := bodySize(b)
	if n == 0 {
		return dst
	}
	dst = appendTag(dst, num, protowire.BytesType)
	dst = appendVarint(dst, uint64(n))
	if len(b.Data) > 0 {
		dst = appendTag(dst, fBodyData, protowire.BytesType)
		dst = appendVarint(dst, uint64(len(b.Data)))
		dst = append(dst, b.Data...)
	}
	dst = appendIntField(dst, fBodyLength, b.Length)
	dst = appendBoolField(dst, fBodyTruncated, b.Truncated)
	dst = appendStringField(dst, fBodyContentType, b.ContentType)
	dst = appendStringField(dst, fBodyEncoding, b.Encoding)
	return appendStringField(dst, fBodyDecodeError, b.DecodeError)
}

// appendTag and appendVarint are protowire's, with a fast path the compiler
// inlines (protowire.AppendVarint is not inlined and was a third of the time).
func appendTag(dst []byte, num protowire.Number, typ protowire.Type) []byte {
	return appendVarint(dst, uint64(num)<<3|uint64(typ))
}

func appendVarint(dst []byte, v uint64) []byte {
	if v < 0x80 {
		return append(dst, byte(v))
	}
	return protowire.AppendVarint(dst, v)
}

// Sizes of encoded fields, tag included; 0 for omitted fields.

func tagSize(num protowire.Number) int { return protowire.SizeVarint(uint64(num) << 3) }

func stringSize(num protowire.Number, s string) int {
	if s == "" {
		return 0
	}
	return tagSize(num) + protowire.SizeBytes(len(s))
}

func intSize(num protowire.Number, v int64) int {
	if v == 0 {
		return 0
	}
	return tagSize(num) + protowire.SizeVarint(uint64(v))
}

func boolSize(num protowire.Number, v bool) int {
	if !v {
		return 0
	}
	return tagSize(num) + 1
}

func addrSize(num protowire.Number, a netip.Addr) int {
	switch {
	case !a.IsValid():
		return 0
	case a.Is4():
		return tagSize(num) + 5
	}
	return tagSize(num) + 17
}

func messageSize(num protowire.Number, n int) int {
	if n == 0 {
		return 0
	}
	return tagSize(num) + protowire.SizeBytes(n)
}

func headerSize(h *Header) int {
	return stringSize(fHeaderName, h.Name) + stringSize(fHeaderValue, h.Value)
}

func headersSize(num protowire.Number, hs Headers) int {
	n := 0
	for i := range hs {
		n += tagSize(num) + protowire.SizeBytes(headerSize(&hs[i]))
	}
	return n
}

func bodySize(b *Body) int {
	n := 0
	if len(b.Data) > 0 {
		n = tagSize(fBodyData) + protowire.SizeBytes(len(b.Data))
	}
	return n + intSize(fBodyLength, b.Length) + boolSize(fBodyTruncated, b.Truncated) +
		stringSize(fBodyContentType, b.ContentType) + stringSize(fBodyEncoding, b.Encoding) +
		stringSize(fBodyDecodeError, b.DecodeError)
}

func sourceSize(s *Source) int {
	return stringSize(fSourceKind, s.Kind) + stringSize(fSourceName, s.Name) + stringSize(fSourceNode, s.Node) +
		intSize(fSourceVNI, int64(s.VNI)) + boolSize(fSourceTLS, s.TLS)
}

func actorSize(a *Actor) int {
	n := stringSize(fActorKind, a.Kind) + stringSize(fActorUser, a.User) + addrSize(fActorClientIP, a.ClientIP) +
		stringSize(fActorIssuer, a.Issuer) + stringSize(fActorAlg, a.Alg) + intSize(fActorExpiresAt, a.ExpiresAt)
	for _, s := range a.Roles {
		n += tagSize(fActorRoles) + protowire.SizeBytes(len(s))
	}
	for _, s := range a.Scopes {
		n += tagSize(fActorScopes) + protowire.SizeBytes(len(s))
	}
	return n
}

// Errors of DecodeWire. Every error wraps ErrWire.
var ErrWire = errors.New("malformed apicall protobuf")

func wireErr(what string, err error) error {
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrWire, what, err)
	}
	return fmt.Errorf("%w: %s", ErrWire, what)
}

// DecodeWire decodes one apicall.proto Call from b into c, replacing c's
// contents. c owns its bytes afterwards: b is copied once and the strings of
// c share that copy, so b may be reused. Fields this build does not know are
// kept verbatim in c.Unknown (AppendWire writes them back). Malformed input
// returns an error wrapping ErrWire, never a panic.
func DecodeWire(b []byte, c *Call) error {
	*c = Call{}
	if len(b) == 0 {
		return nil
	}
	// One copy backs every string field; substrings of it cost nothing.
	s := string(b)
	d := decoder{s: s}
	if nreq, nresp := countHeaders(b); nreq+nresp > 0 {
		hs := make(Headers, 0, nreq+nresp) // one allocation for both lists
		if nreq > 0 {
			c.ReqHeaders = hs[:0:nreq]
		}
		if nresp > 0 {
			c.RespHeaders = hs[nreq : nreq : nreq+nresp]
		}
	}
	for d.more() {
		start := d.pos // the tag may be encoded longer than needed: keep it as it came
		num, typ, err := d.tag()
		if err != nil {
			return err
		}
		switch num {
		case fCallID:
			c.ID, err = d.str(typ)
		case fCallReqStart:
			c.ReqStart, err = d.int(typ)
		case fCallReqEnd:
			c.ReqEnd, err = d.int(typ)
		case fCallRespStart:
			c.RespStart, err = d.int(typ)
		case fCallRespEnd:
			c.RespEnd, err = d.int(typ)
		case fCallClientAddr:
			var a netip.Addr
			a, err = d.addr(typ)
			c.Client = netip.AddrPortFrom(a, c.Client.Port())
		case fCallClientPort:
			var p uint16
			p, err = d.port(typ)
			c.Client = netip.AddrPortFrom(c.Client.Addr(), p)
		case fCallServerAddr:
			var a netip.Addr
			a, err = d.addr(typ)
			c.Server = netip.AddrPortFrom(a, c.Server.Port())
		case fCallServerPort:
			var p uint16
			p, err = d.port(typ)
			c.Server = netip.AddrPortFrom(c.Server.Addr(), p)
		case fCallHost:
			c.Host, err = d.str(typ)
		case fCallMethod:
			c.Method, err = d.str(typ)
		case fCallPath:
			c.Path, err = d.str(typ)
		case fCallRawQuery:
			c.RawQuery, err = d.str(typ)
		case fCallProto:
			c.Proto, err = d.str(typ)
		case fCallReqHeaders:
			c.ReqHeaders, err = d.header(typ, c.ReqHeaders)
		case fCallRespHeaders:
			c.RespHeaders, err = d.header(typ, c.RespHeaders)
		case fCallStatus:
			var v int64
			v, err = d.int(typ)
			c.Status = int(int32(v))
		case fCallReason:
			c.Reason, err = d.str(typ)
		case fCallReqBody:
			err = d.body(typ, &c.ReqBody)
		case fCallRespBody:
			err = d.body(typ, &c.RespBody)
		case fCallSource:
			err = d.source(typ, &c.Source)
		case fCallActor:
			err = d.actor(typ, &c.Actor)
		case fCallFlags:
			var v int64
			v, err = d.int(typ)
			c.Flags = Flags(uint32(v))
		default:
			err = d.skip(num, typ)
			if err == nil {
				c.Unknown = append(c.Unknown, s[start:d.pos]...)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// countHeaders counts the top-level header fields of a Call, to size the
// header lists once. Malformed input stops the count; DecodeWire reports it.
func countHeaders(b []byte) (req, resp int) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return
		}
		b = b[n:]
		switch num {
		case fCallReqHeaders:
			req++
		case fCallRespHeaders:
			resp++
		}
	}
	return
}

// decoder reads protobuf fields from s.
type decoder struct {
	s   string
	pos int
	end int // end of the current message; 0 means len(s)
}

func (d *decoder) limit() int {
	if d.end == 0 {
		return len(d.s)
	}
	return d.end
}

func (d *decoder) more() bool { return d.pos < d.limit() }

func (d *decoder) rest() []byte {
	// protowire reads from []byte; this conversion does not escape and the
	// compiler does not copy for read-only use of a bounded window.
	return []byte(d.s[d.pos:min(d.limit(), d.pos+binaryWindow)])
}

// binaryWindow bounds the bytes handed to protowire for one tag or varint
// (at most 10 bytes each), so no whole message is converted.
const binaryWindow = 10

func (d *decoder) tag() (protowire.Number, protowire.Type, error) {
	num, typ, n := protowire.ConsumeTag(d.rest())
	if n < 0 {
		return 0, 0, wireErr("tag", protowire.ParseError(n))
	}
	d.pos += n
	return num, typ, nil
}

func (d *decoder) varint(typ protowire.Type) (uint64, error) {
	if typ != protowire.VarintType {
		return 0, wireErr(fmt.Sprintf("wire type %d where a varint was expected", typ), nil)
	}
	v, n := protowire.ConsumeVarint(d.rest())
	if n < 0 {
		return 0, wireErr("varint", protowire.ParseError(n))
	}
	d.pos += n
	return v, nil
}

func (d *decoder) int(typ protowire.Type) (int64, error) {
	v, err := d.varint(typ)
	return int64(v), err
}

func (d *decoder) port(typ protowire.Type) (uint16, error) {
	v, err := d.varint(typ)
	if err == nil && v > math.MaxUint16 {
		return 0, wireErr(fmt.Sprintf("port %d", v), nil)
	}
	return uint16(v), err
}

// str returns the next length-delimited field as a substring of d.s.
func (d *decoder) str(typ protowire.Type) (string, error) {
	if typ != protowire.BytesType {
		return "", wireErr(fmt.Sprintf("wire type %d where bytes were expected", typ), nil)
	}
	l, n := protowire.ConsumeVarint(d.rest())
	if n < 0 {
		return "", wireErr("length", protowire.ParseError(n))
	}
	d.pos += n
	if l > uint64(d.limit()-d.pos) {
		return "", wireErr("length past the end", nil)
	}
	v := d.s[d.pos : d.pos+int(l)]
	d.pos += int(l)
	return v, nil
}

func (d *decoder) addr(typ protowire.Type) (netip.Addr, error) {
	v, err := d.str(typ)
	if err != nil {
		return netip.Addr{}, err
	}
	switch len(v) {
	case 0:
		return netip.Addr{}, nil
	case 4:
		return netip.AddrFrom4([4]byte([]byte(v))), nil
	case 16:
		return netip.AddrFrom16([16]byte([]byte(v))), nil
	}
	return netip.Addr{}, wireErr(fmt.Sprintf("address of %d bytes", len(v)), nil)
}

func (d *decoder) skip(num protowire.Number, typ protowire.Type) error {
	switch typ {
	case protowire.VarintType:
		_, err := d.varint(typ)
		return err
	case protowire.BytesType:
		_, err := d.str(typ)
		return err
	case protowire.Fixed32Type, protowire.Fixed64Type:
		n := 4
		if typ == protowire.Fixed64Type {
			n = 8
		}
		if d.limit()-d.pos < n {
			return wireErr(fmt.Sprintf("field %d past the end", num), nil)
		}
		d.pos += n
		return nil
	}
	// Groups are deprecated and never written by apitap.
	return wireErr(fmt.Sprintf("field %d of wire type %d", num, typ), nil)
}

// sub returns a decoder over the next length-delimited field and moves past it.
func (d *decoder) sub(typ protowire.Type) (decoder, error) {
	v, err := d.str(typ)
	if err != nil {
		return decoder{}, err
	}
	return decoder{s: d.s, pos: d.pos - len(v), end: d.pos}, nil
}

func (d *decoder) header(typ protowire.Type, hs Headers) (Headers, error) {
	m, err := d.sub(typ)
	if err != nil {
		return hs, err
	}
	var h Header
	for m.more() {
		num, typ, err := m.tag()
		if err != nil {
			return hs, err
		}
		switch num {
		case fHeaderName:
			h.Name, err = m.str(typ)
		case fHeaderValue:
			h.Value, err = m.str(typ)
		default:
			err = m.skip(num, typ) // unknown fields inside a header are dropped
		}
		if err != nil {
			return hs, err
		}
	}
	return append(hs, h), nil
}

func (d *decoder) body(typ protowire.Type, b *Body) error {
	m, err := d.sub(typ)
	if err != nil {
		return err
	}
	for m.more() {
		num, typ, err := m.tag()
		if err != nil {
			return err
		}
		switch num {
		case fBodyData:
			var v string
			v, err = m.str(typ)
			b.Data = []byte(v)
		case fBodyLength:
			b.Length, err = m.int(typ)
		case fBodyTruncated:
			var v uint64
			v, err = m.varint(typ)
			b.Truncated = v != 0
		case fBodyContentType:
			b.ContentType, err = m.str(typ)
		case fBodyEncoding:
			b.Encoding, err = m.str(typ)
		case fBodyDecodeError:
			b.DecodeError, err = m.str(typ)
		default:
			err = m.skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) source(typ protowire.Type, s *Source) error {
	m, err := d.sub(typ)
	if err != nil {
		return err
	}
	for m.more() {
		num, typ, err := m.tag()
		if err != nil {
			return err
		}
		switch num {
		case fSourceKind:
			s.Kind, err = m.str(typ)
		case fSourceName:
			s.Name, err = m.str(typ)
		case fSourceNode:
			s.Node, err = m.str(typ)
		case fSourceVNI:
			var v uint64
			v, err = m.varint(typ)
			s.VNI = uint32(v)
		case fSourceTLS:
			var v uint64
			v, err = m.varint(typ)
			s.TLS = v != 0
		default:
			err = m.skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) actor(typ protowire.Type, a *Actor) error {
	m, err := d.sub(typ)
	if err != nil {
		return err
	}
	for m.more() {
		num, typ, err := m.tag()
		if err != nil {
			return err
		}
		var v string
		switch num {
		case fActorKind:
			a.Kind, err = m.str(typ)
		case fActorUser:
			a.User, err = m.str(typ)
		case fActorClientIP:
			a.ClientIP, err = m.addr(typ)
		case fActorIssuer:
			a.Issuer, err = m.str(typ)
		case fActorRoles:
			v, err = m.str(typ)
			a.Roles = append(a.Roles, v)
		case fActorScopes:
			v, err = m.str(typ)
			a.Scopes = append(a.Scopes, v)
		case fActorAlg:
			a.Alg, err = m.str(typ)
		case fActorExpiresAt:
			a.ExpiresAt, err = m.int(typ)
		default:
			err = m.skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Package apicall defines the API call record that flows through apitap,
// the Sink interface stages use to hand calls on, and the record's JSON
// lines encoding.
//
// It depends on the standard library only, so every other package can
// import it.
package apicall

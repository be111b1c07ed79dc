package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// fakeSTS answers STS's query protocol as the service would:
// GetCallerIdentity succeeds, AssumeRole is denied (403), GetSessionToken
// is throttled (400).
type fakeSTS struct{}

func (fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	form, _ := url.ParseQuery(string(body))
	w.Header().Set("X-Amzn-RequestId", "FAKEREQUESTID")
	w.Header().Set("Content-Type", "text/xml")
	switch action := form.Get("Action"); action {
	case "GetCallerIdentity":
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/demo</Arn><UserId>AIDAFAKE</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>FAKEREQUESTID</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	case "AssumeRole":
		stsError(w, http.StatusForbidden, "Sender", "AccessDenied", "User is not authorized to perform: sts:AssumeRole")
	case "GetSessionToken":
		stsError(w, http.StatusBadRequest, "Sender", "Throttling", "Rate exceeded")
	default:
		stsError(w, http.StatusBadRequest, "Sender", "InvalidAction", "Could not find operation "+action)
	}
}

func stsError(w http.ResponseWriter, status int, kind, code, message string) {
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>FAKEREQUESTID</RequestId></ErrorResponse>`, kind, code, message)
}

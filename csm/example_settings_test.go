package csm_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/session"

	"github.com/opencsm/csm-go/csm"
)

// A setting that cannot be used gives a *SettingError that names it, shows
// its value and says what to write instead; the session works without
// monitoring. Here AWS_CSM_PORT enables CSM (AWS_CSM_ENABLED is unset) and
// AWS_CSM_HOST holds a port.
func ExampleSettingError() {
	for k, v := range map[string]string{
		"AWS_CSM_ENABLED": "", "AWS_CSM_CLIENT_ID": "",
		"AWS_CSM_HOST": "127.0.0.1:31000", "AWS_CSM_PORT": "31000",
		// No shared files, whatever this machine has.
		"AWS_CONFIG_FILE": os.DevNull + "/none", "AWS_SHARED_CREDENTIALS_FILE": os.DevNull + "/none",
	} {
		old, had := os.LookupEnv(k)
		os.Setenv(k, v)
		if had {
			defer os.Setenv(k, old)
		} else {
			defer os.Unsetenv(k)
		}
	}

	sess := session.Must(session.NewSession(&aws.Config{Region: aws.String("us-west-2")}))
	_, err := csm.Enable(sess)
	var serr *csm.SettingError
	if errors.As(err, &serr) {
		fmt.Println(serr.Setting)
		fmt.Println(err)
	}
	// Output:
	// AWS_CSM_HOST
	// csm: AWS_CSM_HOST="127.0.0.1:31000": a host with a port: put the host (127.0.0.1) alone here and the port (31000) in AWS_CSM_PORT
}

using System;
using System.Management.Automation;
using System.Net;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Commands
{
    /// <summary>Connects to an OpenStack cloud through Keystone v3 and makes the connection the default.</summary>
    /// <remarks>
    /// <para>Authenticates with a password (-Credential), an application credential (-ApplicationCredential) or an existing token (-Token), or takes the settings of a clouds.yaml entry (-Cloud; secure.yaml is merged in) from the places the OpenStack client tools look: OS_CLIENT_CONFIG_FILE, the current folder, ~/.config/openstack, /etc/openstack. With no parameters it reads an openrc's OS_* environment variables (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME, OS_REGION_NAME, OS_INTERFACE, OS_CACERT, or OS_CLOUD).</para>
    /// <para>The region and interface pick the endpoints from the catalog. Nova's newest compute microversion is discovered and the newest one this module supports is used.</para>
    /// <para>TLS certificates are always verified, for Keystone and for every endpoint of the catalog (Nova, Placement, Cinder), unless verification is turned off. A certificate must chain to a CA this computer trusts, or, when a CA bundle is given, to a CA of that PEM file: -CACertFile, else cacert in the clouds.yaml entry or the OS_CACERT variable (as with the OpenStack client tools, the bundle then replaces the system's store; ~ and relative paths are taken from the current location). A certificate from an unknown CA is refused with the error OSCertificateUntrusted; a certificate issued for a host name other than the URL's is refused with OSCertificateNameMismatch, even when its CA is trusted.</para>
    /// <para>-SkipCertificateCheck, OS_INSECURE=true, or verify: false (or insecure: true) in clouds.yaml turn verification off; each writes a warning. Use them only in a lab: anyone in the network path can then pose as the cloud and read the password and token. -SkipCertificateCheck:$false verifies even when OS_INSECURE or clouds.yaml say otherwise.</para>
    /// <para>The session returned is also the default for every other cmdlet; pass -Session to talk to several clouds in one runbook. The token is renewed before it expires and once after a 401; it never appears in any output.</para>
    /// </remarks>
    /// <example>
    /// <code>Connect-OSCloud -Cloud mycloud</code>
    /// <para>Connects with the 'mycloud' entry of clouds.yaml.</para>
    /// </example>
    /// <example>
    /// <code>. ./admin-openrc.sh  # in bash, before starting pwsh
    /// Connect-OSCloud</code>
    /// <para>Connects with the OS_* variables of an openrc file.</para>
    /// </example>
    /// <example>
    /// <code>Connect-OSCloud -AuthUrl https://keystone.lab.example:5000/v3 -Credential (Get-Credential admin) -ProjectName admin -CACertFile ./lab-ca.pem</code>
    /// <para>Connects to a cloud whose certificates are issued by a private CA, trusting that CA's PEM file for this connection only.</para>
    /// </example>
    /// <example>
    /// <code>$prod = Connect-OSCloud -AuthUrl https://keystone.example.com:5000/v3 -Credential (Get-Credential admin) -ProjectName admin -Region RegionOne
    /// Get-OSHypervisor -Session $prod</code>
    /// <para>Connects with a password and keeps the session in a variable for -Session.</para>
    /// </example>
    [Cmdlet(VerbsCommunications.Connect, "OSCloud", DefaultParameterSetName = EnvironmentSet)]
    [OutputType(typeof(CloudSession))]
    public sealed class ConnectOSCloudCommand : OSCmdletBase
    {
        private const string EnvironmentSet = "Environment";
        private const string CloudSet = "Cloud";
        private const string PasswordSet = "Password";
        private const string AppCredSet = "ApplicationCredential";
        private const string TokenSet = "Token";

        /// <summary>The name of a cloud in clouds.yaml.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = CloudSet)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.CloudNameCompleter))]
        public string Cloud { get; set; } = string.Empty;

        /// <summary>Keystone's URL, such as https://keystone.example.com:5000/v3.</summary>
        [Parameter(Mandatory = true, ParameterSetName = PasswordSet)]
        [Parameter(Mandatory = true, ParameterSetName = AppCredSet)]
        [Parameter(Mandatory = true, ParameterSetName = TokenSet)]
        [ValidateNotNullOrEmpty]
        public string AuthUrl { get; set; } = string.Empty;

        /// <summary>The user name and password.</summary>
        [Parameter(Mandatory = true, ParameterSetName = PasswordSet)]
        [Credential]
        public PSCredential Credential { get; set; } = PSCredential.Empty;

        /// <summary>An application credential: its id as the user name and its secret as the password.</summary>
        [Parameter(Mandatory = true, ParameterSetName = AppCredSet)]
        [Credential]
        public PSCredential ApplicationCredential { get; set; } = PSCredential.Empty;

        /// <summary>An existing Keystone token, as a SecureString.</summary>
        [Parameter(Mandatory = true, ParameterSetName = TokenSet)]
        public System.Security.SecureString? Token { get; set; }

        /// <summary>The project to scope the token to.</summary>
        [Parameter(ParameterSetName = PasswordSet)]
        [Parameter(ParameterSetName = TokenSet)]
        public string? ProjectName { get; set; }

        /// <summary>The project to scope the token to, by id.</summary>
        [Parameter(ParameterSetName = PasswordSet)]
        [Parameter(ParameterSetName = TokenSet)]
        public string? ProjectId { get; set; }

        /// <summary>The user's domain (default: Default).</summary>
        [Parameter(ParameterSetName = PasswordSet)]
        public string UserDomainName { get; set; } = "Default";

        /// <summary>The project's domain (default: Default).</summary>
        [Parameter(ParameterSetName = PasswordSet)]
        [Parameter(ParameterSetName = TokenSet)]
        public string ProjectDomainName { get; set; } = "Default";

        /// <summary>The region whose endpoints to use (overrides the cloud's or the environment's).</summary>
        [Parameter]
        public string? Region { get; set; }

        /// <summary>The endpoint interface: public, internal or admin (overrides the cloud's or the environment's).</summary>
        [Parameter]
        [ValidateSet("public", "internal", "admin")]
        public string? Interface { get; set; }

        /// <summary>A PEM file of the CA certificates to trust for this cloud, instead of the system's store (overrides cacert in clouds.yaml and OS_CACERT).</summary>
        [Parameter]
        public string? CACertFile { get; set; }

        /// <summary>Do not verify TLS certificates, and say so in a warning. Only for labs: anyone in the path can then read the password and token. -SkipCertificateCheck:$false verifies even when OS_INSECURE or clouds.yaml's verify: false say not to.</summary>
        [Parameter]
        public SwitchParameter SkipCertificateCheck { get; set; }

        /// <summary>Seconds to wait for each API request (default 60).</summary>
        [Parameter]
        [ValidateRange(1, 3600)]
        public int RequestTimeoutSec { get; set; } = 60;

        /// <inheritdoc/>
        protected override void EndProcessing()
        {
            var options = BuildOptions();
            CloudSession session;
            try
            {
                session = RunEngine((sink, token) => CloudSession.ConnectAsync(options, sink, token));
            }
            catch (OpenStackMigrationException e)
            {
                ThrowFailure(e, options.AuthUrl);
                throw;
            }

            SessionStore.Default = session;
            WriteObject(session);
            base.EndProcessing();
        }

        private AuthOptions BuildOptions()
        {
            AuthOptions options;
            var cwd = SessionState.Path.CurrentFileSystemLocation.ProviderPath;
            try
            {
                switch (ParameterSetName)
                {
                    case CloudSet:
                        options = CloudConfig.FromCloudsYaml(Cloud, cwd, Environment.GetEnvironmentVariables());
                        break;
                    case EnvironmentSet:
                        options = CloudConfig.FromEnvironment(Environment.GetEnvironmentVariables(), cwd);
                        break;
                    default:
                        options = new AuthOptions
                        {
                            AuthUrl = AuthUrl,
                            ProjectName = ProjectName,
                            ProjectId = ProjectId,
                            UserDomainName = UserDomainName,
                            ProjectDomainName = ProjectDomainName,
                        };
                        if (ParameterSetName == PasswordSet)
                        {
                            options.Method = AuthMethod.Password;
                            options.Credential = new NetworkCredential(Credential.UserName, Credential.Password);
                        }
                        else if (ParameterSetName == AppCredSet)
                        {
                            options.Method = AuthMethod.ApplicationCredential;
                            options.Credential = new NetworkCredential(ApplicationCredential.UserName, ApplicationCredential.Password);
                        }
                        else
                        {
                            options.Method = AuthMethod.Token;
                            options.Credential = new NetworkCredential("token", Token);
                        }

                        break;
                }
            }
            catch (OpenStackMigrationException e)
            {
                ThrowFailure(e);
                throw;
            }

            options.Region = Region ?? options.Region;
            options.Interface = Interface ?? options.Interface;
            if (CACertFile != null)
            {
                // Relative to the PowerShell location, which is not the process's current directory.
                options.CACertFile = SessionState.Path.GetUnresolvedProviderPathFromPSPath(CACertFile);
            }

            if (MyInvocation.BoundParameters.ContainsKey(nameof(SkipCertificateCheck)))
            {
                // -SkipCertificateCheck:$false asks for verification even where OS_INSECURE or verify: false say otherwise.
                options.SkipCertificateCheck = SkipCertificateCheck.IsPresent;
                options.SkipCertificateCheckSource = "-SkipCertificateCheck";
            }

            options.RequestTimeoutSec = RequestTimeoutSec;
            if (options.SkipCertificateCheck)
            {
                WriteWarning($"TLS certificates will not be verified for this cloud ({options.SkipCertificateCheckSource ?? "-SkipCertificateCheck"}): anyone in the network path can pose as it and read the password and token."
                    + (options.CACertFile != null ? $" The CA bundle '{options.CACertFile}' is ignored." : string.Empty));
            }
            else
            {
                WriteVerbose(options.CACertFile != null
                    ? $"TLS certificates must chain to a CA in '{options.CACertFile}'."
                    : "TLS certificates must chain to a CA this computer trusts.");
            }

            return options;
        }
    }
}

namespace Acaso.Mail.Actors.Settings;

/// <summary>Akka.Cluster: how the node finds the others, where it listens, and the split-brain resolver's stable-after.</summary>
/// <param name="Seeds">host:port of the seed nodes (<c>MAIL_CLUSTER_SEEDS</c>); none and no <see cref="Discovery"/>: the node runs alone.</param>
/// <param name="Hostname">The address other nodes reach this one at (<c>MAIL_CLUSTER_HOSTNAME</c>; a pod's IP on Kubernetes).</param>
/// <param name="Port">Akka.Remote's port (<c>MAIL_CLUSTER_PORT</c>).</param>
/// <param name="StableAfter">Keep-majority's stable-after (<c>MAIL_CLUSTER_STABLE_AFTER</c>).</param>
public sealed record ClusterSettings(IReadOnlyList<string> Seeds, string Hostname, int Port, TimeSpan StableAfter)
{
    /// <summary>One node, no cluster.</summary>
    public static readonly ClusterSettings Alone = new([], "localhost", 4053, TimeSpan.FromSeconds(20));

    /// <summary>True when the node joins a cluster.</summary>
    public bool Enabled => Seeds.Count > 0 || Discovery is not null;

    /// <summary>The certificate every node presents and accepts (mutual TLS); null: cluster traffic is plain TCP.</summary>
    public ClusterTls? Tls { get; init; }

    /// <summary>How Cluster Bootstrap finds the other nodes (<c>MAIL_CLUSTER_DISCOVERY</c>); null: the <see cref="Seeds"/>.</summary>
    public ClusterDiscovery? Discovery { get; init; }

    /// <summary>Akka.Management's HTTP port, which Cluster Bootstrap's contact points ask (<c>MAIL_MANAGEMENT_PORT</c>).</summary>
    public int ManagementPort { get; init; } = 8558;

    /// <summary>How many nodes Cluster Bootstrap must see before it forms a new cluster (<c>MAIL_CLUSTER_REQUIRED_CONTACTS</c>).</summary>
    public int RequiredContacts { get; init; } = 3;

    /// <summary>
    /// Whether Cluster Bootstrap may form a new cluster when it finds none (<c>MAIL_CLUSTER_NEW_CLUSTER_ENABLED</c>); off:
    /// a node only ever joins an existing one.
    /// </summary>
    public bool NewClusterEnabled { get; init; } = true;

    /// <summary>For the first log line: how this node finds its cluster.</summary>
    public string DescribeJoin() => Discovery?.Describe() ?? "joining through seeds " + string.Join(",", Seeds);
}

/// <summary>
/// Akka.Remote's TLS: <paramref name="CertificatePath"/> (<c>MAIL_CLUSTER_TLS_CERT</c>), a PKCS#12 file with its private
/// key, opened with <paramref name="Password"/> (<c>MAIL_CLUSTER_TLS_PASSWORD</c>, never printed). Every node presents
/// it and accepts only a peer that presents the same one.
/// </summary>
public sealed record ClusterTls(string CertificatePath, Secret Password)
{
    private System.Security.Cryptography.X509Certificates.X509Certificate2? _certificate;

    /// <summary>The certificate with its private key, read from the file once (the settings' check reads it; remoting uses it).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2 Load() =>
        _certificate ??= System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, Password.Reveal());
}

/// <summary>How Cluster Bootstrap discovers the nodes' management endpoints (<c>MAIL_CLUSTER_DISCOVERY</c>).</summary>
public abstract record ClusterDiscovery
{
    private ClusterDiscovery()
    {
    }

    /// <summary>For the first log line.</summary>
    public abstract string Describe();

    /// <summary>
    /// <c>kubernetes</c>: the pods that match <paramref name="PodSelector"/> (<c>MAIL_CLUSTER_POD_SELECTOR</c>) in the
    /// pod's own namespace, listed by the API server at <paramref name="ApiServer"/> (<c>KUBERNETES_SERVICE_HOST</c> and
    /// <c>KUBERNETES_SERVICE_PORT</c>) with the service account in <paramref name="ServiceAccountDir"/>
    /// (<c>MAIL_KUBERNETES_SERVICE_ACCOUNT_DIR</c>: its <c>token</c>, <c>ca.crt</c> and <c>namespace</c>).
    /// </summary>
    public sealed record Kubernetes(Uri ApiServer, string ServiceAccountDir, string PodSelector) : ClusterDiscovery
    {
        /// <summary>The service account's bearer token (Kubernetes rotates it: read it again at each use).</summary>
        public string TokenPath => Path.Combine(ServiceAccountDir, "token");

        /// <summary>The certificate authority that signed the API server's certificate.</summary>
        public string CertificateAuthorityPath => Path.Combine(ServiceAccountDir, "ca.crt");

        /// <summary>The pod's namespace, where the other pods are looked for.</summary>
        public string NamespacePath => Path.Combine(ServiceAccountDir, "namespace");

        /// <inheritdoc />
        public override string Describe() => $"joining through Cluster Bootstrap: pods {PodSelector} listed by the Kubernetes API at {ApiServer}";
    }

    /// <summary><c>config</c>: a static list of the nodes' management endpoints, host:port (<c>MAIL_CLUSTER_CONTACT_POINTS</c>).</summary>
    public sealed record Config(IReadOnlyList<string> ContactPoints) : ClusterDiscovery
    {
        /// <inheritdoc />
        public override string Describe() => "joining through Cluster Bootstrap: contact points " + string.Join(",", ContactPoints);
    }
}

using System.Text;
using Workbench.Jupyter.Zmq;

namespace Workbench.Kernel.Tests.Jupyter;

public sealed class ZmqTransportTests
{
    [Fact]
    public void RouterAndDealer_ExchangeMultipartMessages_WithEmptyAndBinaryFrames()
    {
        using var context = new ZmqContext();
        using var router = context.CreateSocket(ZmqSocketType.Router);
        using var dealer = context.CreateSocket(ZmqSocketType.Dealer);
        var port = KernelTestClient.FreshConnection().ShellPort;
        router.Bind($"tcp://127.0.0.1:{port}");
        dealer.Connect($"tcp://127.0.0.1:{port}");

        var sent = new List<byte[]> { Encoding.UTF8.GetBytes("<IDS|MSG>"), Array.Empty<byte>(), new byte[] { 0, 255, 1 }, new byte[100_000] };
        dealer.SendMultipart(sent);
        var received = router.TryReceiveMultipart(5000);

        Assert.NotNull(received);
        // ROUTER prepends the peer's routing identity.
        Assert.Equal(sent.Count + 1, received!.Count);
        Assert.Equal(sent, received.Skip(1));

        router.SendMultipart(new List<byte[]> { received[0], Encoding.UTF8.GetBytes("back") });
        var reply = dealer.TryReceiveMultipart(5000);
        Assert.Equal("back", Encoding.UTF8.GetString(reply!.Single()));
    }

    [Fact]
    public void TryReceive_TimesOutWithNull()
    {
        using var context = new ZmqContext();
        using var router = context.CreateSocket(ZmqSocketType.Router);
        router.Bind($"tcp://127.0.0.1:{KernelTestClient.FreshConnection().ShellPort}");

        var started = Environment.TickCount64;
        Assert.Null(router.TryReceiveMultipart(100));
        Assert.InRange(Environment.TickCount64 - started, 50, 5000);
        Assert.Null(router.TryReceiveMultipart(0));
    }

    [Fact]
    public void Bind_ToABusyPort_ThrowsZmqException()
    {
        using var context = new ZmqContext();
        using var first = context.CreateSocket(ZmqSocketType.Router);
        using var second = context.CreateSocket(ZmqSocketType.Router);
        var endpoint = $"tcp://127.0.0.1:{KernelTestClient.FreshConnection().ShellPort}";
        first.Bind(endpoint);

        var ex = Assert.Throws<ZmqException>(() => second.Bind(endpoint));
        Assert.Contains("zmq_bind", ex.Message);
    }
}

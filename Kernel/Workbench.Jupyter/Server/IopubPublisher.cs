using System.Collections.Concurrent;
using Workbench.Jupyter.Protocol;
using Workbench.Jupyter.Zmq;

namespace Workbench.Jupyter.Server;

/// <summary>
/// Owns the iopub PUB socket on a dedicated thread. Every other thread (shell, control, the engine's output
/// callbacks) only enqueues, which keeps the socket single-threaded and the messages in enqueue order.
/// </summary>
internal sealed class IopubPublisher
{
    private readonly BlockingCollection<JupyterMessage> _queue = new();
    private readonly ZmqSocket _socket;
    private readonly MessageSigner _signer;
    private readonly KernelLog _log;
    private readonly Thread _thread;

    public IopubPublisher(ZmqSocket socket, MessageSigner signer, KernelLog log)
    {
        _socket = socket;
        _signer = signer;
        _log = log;
        _thread = new Thread(Pump) { IsBackground = true, Name = "jupyter-iopub" };
    }

    public void Start()
    {
        _thread.Start();
    }

    /// <summary>Queues a message; silently ignored once the publisher is stopping.</summary>
    public void Publish(JupyterMessage message)
    {
        try
        {
            _queue.TryAdd(message);
        }
        catch (InvalidOperationException)
        {
            // Adding completed: the kernel is shutting down and late output has nowhere to go.
        }
    }

    /// <summary>Sends what is queued, then closes the socket; false if the thread did not finish in time.</summary>
    public bool Stop(TimeSpan timeout)
    {
        _queue.CompleteAdding();
        return _thread.Join(timeout);
    }

    private void Pump()
    {
        try
        {
            foreach (var message in _queue.GetConsumingEnumerable())
            {
                try
                {
                    _socket.SendMultipart(WireCodec.Encode(message, _signer));
                }
                catch (ZmqException ex)
                {
                    _log.Write($"iopub: dropped {message.MsgType}: {ex.Message}");
                }
            }
        }
        finally
        {
            _socket.Dispose();
        }
    }
}
